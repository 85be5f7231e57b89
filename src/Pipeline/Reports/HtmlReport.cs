using System.Globalization;
using System.Text;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>Renders report.html: one self-contained file (inline CSS, pictures as data: URIs, no scripts, no external references).</summary>
internal static class HtmlReport
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

    public static string Render(ReportContent c)
    {
        var r = c.Result;
        var labels = c.Labels;
        var sb = new StringBuilder(1 << 16);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append("<title>").Append(H(c.Title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n<main>\n");
        sb.Append("<h1>").Append(H(c.Title)).Append("</h1>\n");
        sb.Append("<p class=\"meta\">").Append(H(ReportText.DatasetLine(c))).Append("<br>Generated ").Append(H(ReportText.Created(c))).Append(" by <code>").Append(H(r.Command))
            .Append("</code> on ").Append(H(r.Machine)).Append("; seed ").Append(ReportText.N(r.Seed)).Append('.');
        var runLine = ReportText.RunLine(r);
        sb.Append(runLine.Length > 0 ? "<br>" + H(runLine) : string.Empty).Append("</p>\n");
        sb.Append("<p class=\"verdict\" id=\"verdict\"><strong>Verdict:</strong> ").Append(H(c.TradeOff.Sentence)).Append("</p>\n");

        if (r.Results.Count > 0)
        {
            sb.Append("<h2 id=\"side-by-side\">Side by side</h2>\n");
            if (r.Results.Count > 1)
            {
                sb.Append("<p class=\"note\">").Append(ReportText.BestMark).Append(" and green mark the better value in each row (↑ higher is better, ↓ lower is better).</p>\n");
            }

            SummaryTable(sb, c, "Quality", c.Summary.Where(ReportText.IsQuality));
            SummaryTable(sb, c, "Cost", c.Summary.Where(x => !ReportText.IsQuality(x)));
            Chart(sb, c.AccuracyVersusCost);
            if (c.PerClassF1 is not null)
            {
                sb.Append("<h2 id=\"f1-per-class\">F1 per class</h2>\n");
                Chart(sb, c.PerClassF1);
            }
        }

        for (var i = 0; i < c.Pairs.Count; i++)
        {
            var p = c.Pairs[i];
            var (a, b) = (labels[p.A], labels[p.B]);
            sb.Append("<h2>Where they differ: ").Append(H(a)).Append(" vs ").Append(H(b)).Append("</h2>\n");
            sb.Append("<p>").Append(H(ReportText.Counts(c, p))).Append("</p>\n");
            sb.Append("<h3>F1 difference per class (").Append(H(b)).Append(" minus ").Append(H(a)).Append("; ").Append(H(b)).Append(" wins at the top, loses at the bottom)</h3>\n");
            sb.Append("<table class=\"classdiff\"><thead><tr><th>Class</th><th>Support</th><th>F1 ").Append(H(a)).Append("</th><th>F1 ").Append(H(b)).Append("</th><th>Difference</th></tr></thead><tbody>\n");
            foreach (var d in p.ClassDifferences)
            {
                var cls = d.Difference > 0 ? "pos" : d.Difference < 0 ? "neg" : "";
                sb.Append("<tr><td>").Append(H(d.Class)).Append("</td><td>").Append(ReportText.N(d.Support)).Append("</td><td>").Append(ReportFormat.Ratio(d.F1A)).Append("</td><td>")
                    .Append(ReportFormat.Ratio(d.F1B)).Append("</td><td class=\"").Append(cls).Append("\">").Append(ReportText.Signed(d.Difference)).Append("</td></tr>\n");
            }

            sb.Append("</tbody></table>\n");
            var (onlyA, onlyB) = c.DisagreementGalleries[i];
            GalleryCards(sb, onlyA);
            GalleryCards(sb, onlyB);
        }

        for (var i = 0; i < r.Results.Count; i++)
        {
            var run = r.Results[i];
            var m = run.Metrics;
            sb.Append("<h2 id=\"pipeline-").Append(ReportContent.Slug(labels[i])).Append("\">").Append(H(labels[i])).Append(": details</h2>\n");
            sb.Append("<p>Trainer <b>").Append(H(run.Trainer)).Append("</b>, feature set <b>").Append(H(run.FeatureSet)).Append("</b>, model <code>").Append(H(run.ModelPath)).Append("</code>.</p>\n");
            sb.Append("<p>Accuracy ").Append(ReportFormat.Ratio(m.Accuracy)).Append(", macro accuracy ").Append(ReportFormat.Ratio(m.MacroAccuracy)).Append(", macro F1 ")
                .Append(ReportFormat.Ratio(m.MacroF1)).Append(", log-loss ").Append(ReportFormat.Number(m.LogLoss, "0.000")).Append("; ").Append(H(ReportText.TopK(run)))
                .Append(" (").Append(ReportText.N(m.Count)).Append(" test images).</p>\n");
            sb.Append("<p>").Append(H(ReportText.CostLine(run))).Append("</p>\n");
            sb.Append("<h3>Per class</h3>\n<table><thead><tr><th>Class</th><th>Precision</th><th>Recall</th><th>F1</th><th>Support</th></tr></thead><tbody>\n");
            foreach (var pc in m.PerClass)
            {
                sb.Append("<tr><td>").Append(H(pc.Class)).Append("</td><td>").Append(ReportFormat.Ratio(pc.Precision)).Append("</td><td>").Append(ReportFormat.Ratio(pc.Recall))
                    .Append("</td><td>").Append(ReportFormat.Ratio(pc.F1)).Append("</td><td>").Append(ReportText.N(pc.Support)).Append("</td></tr>\n");
            }

            sb.Append("</tbody></table>\n<h3>Confusion matrix</h3>\n");
            Chart(sb, c.Confusion[i]);
            ConfusionTable(sb, m);
            GalleryCards(sb, c.MistakeGalleries[i]);
        }

        if (c.FeatureExamples.Count > 0)
        {
            sb.Append("<h2 id=\"features\">What the hand-crafted features see</h2>\n<div class=\"features\">\n");
            foreach (var (caption, picture) in c.FeatureExamples)
            {
                sb.Append("<figure><img src=\"").Append(picture.DataUri).Append("\" alt=\"").Append(H(caption)).Append("\"><figcaption>").Append(H(caption)).Append("</figcaption></figure>\n");
            }

            sb.Append("</div>\n");
        }

        sb.Append("<h2 id=\"notes\">How these were measured</h2>\n<ul class=\"note\">\n");
        foreach (var note in ReportText.Notes)
        {
            sb.Append("<li>").Append(H(note)).Append("</li>\n");
        }

        sb.Append("</ul>\n</main>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static void SummaryTable(StringBuilder sb, ReportContent c, string title, IEnumerable<SummaryRow> rows)
    {
        sb.Append("<h3>").Append(title).Append("</h3>\n<table class=\"summary\" id=\"summary-").Append(title.ToLowerInvariant()).Append("\"><thead><tr><th>").Append(title == "Quality" ? "Figure" : "Cost").Append("</th>");
        foreach (var l in c.Labels)
        {
            sb.Append("<th>").Append(H(l)).Append("</th>");
        }

        sb.Append("</tr></thead><tbody>\n");
        foreach (var row in rows)
        {
            sb.Append("<tr data-key=\"").Append(H(row.Key)).Append("\"><td>").Append(H(row.Name)).Append(' ').Append(ReportText.Direction(row)).Append("</td>");
            for (var i = 0; i < row.Values.Count; i++)
            {
                var v = H(ReportText.Value(row.Kind, row.Values[i]));
                sb.Append(row.Best.Contains(i) ? $"<td class=\"best\">{v} {ReportText.BestMark}</td>" : $"<td>{v}</td>");
            }

            sb.Append("</tr>\n");
        }

        sb.Append("</tbody></table>\n");
    }

    private static void ConfusionTable(StringBuilder sb, Evaluation.ClassificationMetrics m)
    {
        var max = Math.Max(1, m.ConfusionMatrix.SelectMany(row => row).DefaultIfEmpty(0).Max());
        sb.Append("<details><summary>Confusion matrix as a table (rows true class, columns predicted)</summary>\n<table><thead><tr><th>true \\ predicted</th>");
        foreach (var cls in m.Classes)
        {
            sb.Append("<th>").Append(H(cls)).Append("</th>");
        }

        sb.Append("</tr></thead><tbody>\n");
        for (var t = 0; t < m.Classes.Count; t++)
        {
            sb.Append("<tr><td>").Append(H(m.Classes[t])).Append("</td>");
            for (var p = 0; p < m.Classes.Count; p++)
            {
                var v = m.ConfusionMatrix[t][p];
                var alpha = (0.08 + (0.6 * v / max)).ToString("0.00", CultureInfo.InvariantCulture);
                var style = v == 0 ? "" : t == p ? $" style=\"background:rgba(26,127,55,{alpha})\"" : $" style=\"background:rgba(207,34,46,{alpha})\"";
                sb.Append("<td").Append(style).Append('>').Append(ReportText.N(v)).Append("</td>");
            }

            sb.Append("</tr>\n");
        }

        sb.Append("</tbody></table></details>\n");
    }

    private static void GalleryCards(StringBuilder sb, Gallery g)
    {
        sb.Append("<h3>").Append(H(ReportText.GalleryHeading(g))).Append("</h3>\n");
        if (g.Items.Count == 0)
        {
            sb.Append("<p class=\"note\">None.</p>\n");
            return;
        }

        sb.Append("<div class=\"gallery\">\n");
        foreach (var item in g.Items)
        {
            sb.Append("<figure class=\"card\">");
            if (item.Thumbnail is { } t)
            {
                sb.Append("<img src=\"").Append(t.DataUri).Append("\" alt=\"").Append(H(item.Name)).Append("\">");
            }
            else
            {
                sb.Append("<div class=\"noimg\">no picture</div>");
            }

            sb.Append("<figcaption><div class=\"name\">").Append(H(item.Name)).Append("</div>true: <b>").Append(H(item.TrueLabel)).Append("</b>");
            foreach (var p in item.Predictions)
            {
                sb.Append("<br><span class=\"").Append(p.Correct ? "ok" : "bad").Append("\">").Append(H(p.Pipeline)).Append(": ").Append(H(ReportText.Prediction(p))).Append("</span>");
            }

            sb.Append("</figcaption></figure>\n");
        }

        sb.Append("</div>\n");
    }

    private static void Chart(StringBuilder sb, Picture? picture)
    {
        if (picture is not null)
        {
            sb.Append("<img class=\"chart\" src=\"").Append(picture.DataUri).Append("\" alt=\"").Append(H(picture.Alt)).Append("\">\n");
        }
    }

    private static string H(string text) => ReportFormat.Html(text);
}
