using System.Text;

namespace ImageWorkbench.Pipeline.Reports.Document;

/// <summary>Renders a <see cref="ReportDocument"/> as Markdown (pictures referenced by their relative <see cref="Picture.File"/>).</summary>
internal static class MarkdownWriter
{
    public static string Render(ReportDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var sb = new StringBuilder();
        foreach (var block in document.Blocks)
        {
            switch (block)
            {
                case Heading h:
                    sb.Append('#', h.Level).Append(' ').Append(Escape(h.Text)).Append("\n\n");
                    break;
                case Paragraph p:
                    sb.Append(p.Style == ParagraphStyle.Verdict ? "> " : string.Empty);
                    Inlines(sb, p.Content);
                    sb.Append("\n\n");
                    break;
                case BulletList list:
                    foreach (var item in list.Items)
                    {
                        sb.Append("- ").Append(Escape(item)).Append('\n');
                    }

                    sb.Append('\n');
                    break;
                case Table t:
                    TableRows(sb, t.Header.Select(Escape), t.TextColumns, t.Rows.Select(r => r.Cells.Select(CellText)));
                    break;
                case Image i:
                    sb.Append("![").Append(Escape(i.Picture.Alt)).Append("](").Append(i.Picture.File).Append(")\n\n");
                    break;
                case FigureGroup g:
                    foreach (var (caption, picture) in g.Figures)
                    {
                        sb.Append("![").Append(Escape(caption)).Append("](").Append(picture.File).Append(")  \n*").Append(Escape(caption)).Append("*\n\n");
                    }

                    break;
                case Gallery g:
                    TableRows(
                        sb,
                        ["Image", "Name", "True class", .. g.Items[0].Predictions.Select(p => Escape(p.Pipeline))],
                        textColumns: true,
                        g.Items.Select(item => (IEnumerable<string>)[
                            item.Thumbnail is { } t ? $"![{Escape(item.Name)}]({t.File})" : "(no picture)",
                            Escape(item.Name),
                            Escape(item.TrueLabel),
                            .. item.Predictions.Select(p => Escape(p.Summary))]));
                    break;
                default:
                    throw new NotSupportedException($"no Markdown for {block.GetType().Name}");
            }
        }

        // Blocks end in a blank line to keep them apart; the file ends in one newline.
        return sb.ToString().TrimEnd('\n') + "\n";
    }

    /// <summary>Escapes text for a Markdown line or table cell (pipes, newlines, and characters Markdown would treat as markup).</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '|' or '\\' or '*' or '_' or '`' or '[' or ']' or '<' or '>':
                    sb.Append('\\').Append(c);
                    break;
                case '\r' or '\n':
                    sb.Append(' ');
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>A literal for inline code: backticks (which would end it) and newlines replaced.</summary>
    public static string CodeText(string text) => text.Replace('`', '\'').Replace('\n', ' ');

    private static void Inlines(StringBuilder sb, IEnumerable<Inline> content)
    {
        foreach (var inline in content)
        {
            sb.Append(inline switch
            {
                Text t => Escape(t.Value),
                Strong s => $"**{Escape(s.Value)}**",
                Code c => $"`{CodeText(c.Value)}`",
                LineBreak => " ",
                _ => throw new NotSupportedException($"no Markdown for {inline.GetType().Name}"),
            });
        }
    }

    private static string CellText(Cell cell) => cell.Style switch
    {
        CellStyle.Best => $"**{Escape(cell.Text)}** {Cell.BestMark}",
        CellStyle.HeatRight => $"**{Escape(cell.Text)}**",
        _ => Escape(cell.Text),
    };

    private static void TableRows(StringBuilder sb, IEnumerable<string> header, bool textColumns, IEnumerable<IEnumerable<string>> rows)
    {
        var columns = 0;
        sb.Append('|');
        foreach (var h in header)
        {
            sb.Append(' ').Append(h).Append(" |");
            columns++;
        }

        sb.Append("\n|---|").Append(string.Concat(Enumerable.Repeat(textColumns ? "---|" : "--:|", columns - 1))).Append('\n');
        foreach (var row in rows)
        {
            sb.Append('|');
            foreach (var cell in row)
            {
                sb.Append(' ').Append(cell).Append(" |");
            }

            sb.Append('\n');
        }

        sb.Append('\n');
    }
}
