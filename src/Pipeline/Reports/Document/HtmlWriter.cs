using System.Globalization;
using System.Net;
using System.Text;

namespace ImageWorkbench.Pipeline.Reports.Document;

/// <summary>Renders a <see cref="ReportDocument"/> as one self-contained HTML file (inline CSS, pictures as data: URIs, no scripts, no external references).</summary>
internal static class HtmlWriter
{
    private const string Css = """
        body{font:15px/1.5 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:#1f2328;background:#fff;margin:0}
        main{max-width:1120px;margin:0 auto;padding:24px 28px 48px}
        h1{font-size:26px;margin:0 0 6px}h2{font-size:21px;margin:36px 0 10px;padding-bottom:4px;border-bottom:1px solid #d0d7de}
        h3{font-size:16px;margin:22px 0 8px}
        .meta{color:#57606a;font-size:13px;margin:0 0 16px}.meta code{font-size:12px;background:#f6f8fa;padding:1px 4px;border-radius:4px}
        .verdict{background:#fff8c5;border:1px solid #d4a72c;border-radius:8px;padding:12px 16px;font-size:16px;margin:16px 0}
        table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}
        th,td{border:1px solid #d0d7de;padding:4px 10px;text-align:right;vertical-align:top}
        th:first-child,td:first-child{text-align:left}th{background:#f6f8fa}
        table.text th,table.text td{text-align:left}
        tbody tr:nth-child(even) td{background:#fbfcfd}
        td.best{background:#dafbe1 !important;font-weight:600}
        .pos{color:#1a7f37}.neg{color:#cf222e}.note{color:#57606a;font-size:13px}
        img.chart{max-width:100%;height:auto;border:1px solid #eaeef2;border-radius:6px;margin:8px 0}
        .gallery{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 16px}
        .card{width:150px;margin:0;border:1px solid #d0d7de;border-radius:6px;padding:6px;font-size:12px;line-height:1.35;background:#fff}
        .card img,.card .noimg{width:136px;height:136px;object-fit:contain;background:#f6f8fa;border-radius:4px;display:block}
        .card .noimg{display:flex;align-items:center;justify-content:center;color:#8c959f}
        .card .name{font-weight:600;word-break:break-all}.ok{color:#1a7f37}.bad{color:#cf222e}
        .features{display:flex;flex-wrap:wrap;gap:14px}.features figure{margin:0;max-width:340px}
        .features img{max-width:100%;height:auto;image-rendering:pixelated;border:1px solid #eaeef2}
        .features figcaption{font-size:12px;color:#57606a}
        details{margin:6px 0 14px}summary{cursor:pointer;color:#0969da}
        """;

    public static string Render(ReportDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var sb = new StringBuilder(1 << 16);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append("<title>").Append(H(document.Title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n<main>\n");
        foreach (var block in document.Blocks)
        {
            switch (block)
            {
                case Heading h:
                    var level = h.Level.ToString(CultureInfo.InvariantCulture);
                    sb.Append("<h").Append(level).Append(h.Anchor is { } id ? $" id=\"{H(id)}\"" : string.Empty).Append('>').Append(H(h.Text)).Append("</h").Append(level).Append(">\n");
                    break;
                case Paragraph p:
                    sb.Append(p.Style switch
                    {
                        ParagraphStyle.Meta => "<p class=\"meta\">",
                        ParagraphStyle.Verdict => $"<p class=\"verdict\" id=\"{H(p.Anchor ?? "verdict")}\">",
                        ParagraphStyle.Note => "<p class=\"note\">",
                        _ => "<p>",
                    });
                    Inlines(sb, p.Content);
                    sb.Append("</p>\n");
                    break;
                case BulletList list:
                    sb.Append(list.Style == ParagraphStyle.Note ? "<ul class=\"note\">\n" : "<ul>\n");
                    foreach (var item in list.Items)
                    {
                        sb.Append("<li>").Append(H(item)).Append("</li>\n");
                    }

                    sb.Append("</ul>\n");
                    break;
                case Table t:
                    Table(sb, t);
                    break;
                case Image i:
                    sb.Append("<img class=\"chart\" src=\"").Append(i.Picture.DataUri).Append("\" alt=\"").Append(H(i.Picture.Alt)).Append("\">\n");
                    break;
                case FigureGroup g:
                    sb.Append("<div class=\"features\">\n");
                    foreach (var (caption, picture) in g.Figures)
                    {
                        sb.Append("<figure><img src=\"").Append(picture.DataUri).Append("\" alt=\"").Append(H(caption)).Append("\"><figcaption>").Append(H(caption)).Append("</figcaption></figure>\n");
                    }

                    sb.Append("</div>\n");
                    break;
                case Gallery g:
                    Cards(sb, g);
                    break;
                default:
                    throw new NotSupportedException($"no HTML for {block.GetType().Name}");
            }
        }

        sb.Append("</main>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static void Inlines(StringBuilder sb, IEnumerable<Inline> content)
    {
        foreach (var inline in content)
        {
            sb.Append(inline switch
            {
                Text t => H(t.Value),
                Strong s => $"<strong>{H(s.Value)}</strong>",
                Code c => $"<code>{H(c.Value)}</code>",
                LineBreak => "<br>",
                _ => throw new NotSupportedException($"no HTML for {inline.GetType().Name}"),
            });
        }
    }

    private static void Table(StringBuilder sb, Table t)
    {
        if (t.Collapsed is { } summary)
        {
            sb.Append("<details><summary>").Append(H(summary)).Append("</summary>\n");
        }

        var classes = string.Join(' ', new[] { t.Kind, t.TextColumns ? "text" : null }.OfType<string>());
        sb.Append("<table").Append(classes.Length > 0 ? $" class=\"{H(classes)}\"" : string.Empty).Append(t.Id is { } id ? $" id=\"{H(id)}\"" : string.Empty).Append("><thead><tr>");
        foreach (var h in t.Header)
        {
            sb.Append("<th>").Append(H(h)).Append("</th>");
        }

        sb.Append("</tr></thead><tbody>\n");
        foreach (var row in t.Rows)
        {
            sb.Append(row.Key is { } key ? $"<tr data-key=\"{H(key)}\">" : "<tr>");
            foreach (var cell in row.Cells)
            {
                sb.Append(cell.Style switch
                {
                    CellStyle.Best => $"<td class=\"best\">{H(cell.Text)} {Cell.BestMark}</td>",
                    CellStyle.Positive => $"<td class=\"pos\">{H(cell.Text)}</td>",
                    CellStyle.Negative => $"<td class=\"neg\">{H(cell.Text)}</td>",
                    CellStyle.HeatRight or CellStyle.HeatWrong when cell.Heat > 0 =>
                        $"<td style=\"background:rgba({(cell.Style == CellStyle.HeatRight ? "26,127,55" : "207,34,46")},{(0.08 + (0.6 * cell.Heat)).ToString("0.00", CultureInfo.InvariantCulture)})\">{H(cell.Text)}</td>",
                    _ => $"<td>{H(cell.Text)}</td>",
                });
            }

            sb.Append("</tr>\n");
        }

        sb.Append("</tbody></table>\n");
        if (t.Collapsed is not null)
        {
            sb.Append("</details>\n");
        }
    }

    private static void Cards(StringBuilder sb, Gallery g)
    {
        sb.Append("<div class=\"gallery\">\n");
        foreach (var item in g.Items)
        {
            sb.Append("<figure class=\"card\">");
            sb.Append(item.Thumbnail is { } t ? $"<img src=\"{t.DataUri}\" alt=\"{H(item.Name)}\">" : "<div class=\"noimg\">no picture</div>");
            sb.Append("<figcaption><div class=\"name\">").Append(H(item.Name)).Append("</div>true: <b>").Append(H(item.TrueLabel)).Append("</b>");
            foreach (var p in item.Predictions)
            {
                sb.Append("<br><span class=\"").Append(p.Correct ? "ok" : "bad").Append("\">").Append(H(p.Pipeline)).Append(": ").Append(H(p.Summary)).Append("</span>");
            }

            sb.Append("</figcaption></figure>\n");
        }

        sb.Append("</div>\n");
    }

    private static string H(string text) => WebUtility.HtmlEncode(text);
}
