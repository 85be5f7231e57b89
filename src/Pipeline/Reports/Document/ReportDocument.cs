namespace ImageWorkbench.Pipeline.Reports.Document;

/// <summary>
/// The report as content, before any markup: what the sections produce once and the Markdown and HTML writers render.
/// Text is plain (writers escape it); figures are already formatted (see <see cref="Results.Figures"/>).
/// </summary>
/// <param name="Title">The page title (HTML &lt;title&gt;); the first section shows it as the level-1 heading.</param>
/// <param name="Blocks">Everything shown, in order.</param>
internal sealed record ReportDocument(string Title, IReadOnlyList<Block> Blocks)
{
    /// <summary>Every picture the blocks show, once each, in order of first appearance (the Markdown writer's files).</summary>
    public IEnumerable<Picture> Pictures()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var picture in Blocks.SelectMany(b => b.Pictures()))
        {
            if (seen.Add(picture.File))
            {
                yield return picture;
            }
        }
    }
}

/// <summary>A picture of the report: where the Markdown finds it (relative path), its bytes, MIME type and alternative text.</summary>
internal sealed record Picture(string File, byte[] Bytes, string Mime, string Alt)
{
    /// <summary>The picture inline, for the self-contained HTML.</summary>
    public string DataUri => $"data:{Mime};base64,{Convert.ToBase64String(Bytes)}";
}

/// <summary>A run of text inside a paragraph.</summary>
internal abstract record Inline;

/// <summary>Plain text.</summary>
internal sealed record Text(string Value) : Inline;

/// <summary>Emphasised text (bold).</summary>
internal sealed record Strong(string Value) : Inline;

/// <summary>A command, path or other literal, shown as code.</summary>
internal sealed record Code(string Value) : Inline;

/// <summary>A line break where the format has one (HTML); a space otherwise.</summary>
internal sealed record LineBreak : Inline
{
    public static LineBreak Instance { get; } = new();
}

/// <summary>One block of the report.</summary>
internal abstract record Block
{
    /// <summary>The pictures this block shows.</summary>
    public virtual IEnumerable<Picture> Pictures() => [];
}

/// <summary>A heading; <paramref name="Anchor"/> is a stable link target (HTML id) or null.</summary>
internal sealed record Heading(int Level, string Text, string? Anchor = null) : Block;

/// <summary>How a paragraph stands out.</summary>
internal enum ParagraphStyle
{
    Normal,

    /// <summary>Small print under the title: where the figures come from.</summary>
    Meta,

    /// <summary>The one sentence a reader acts on.</summary>
    Verdict,

    /// <summary>An aside (legend, "none").</summary>
    Note,
}

/// <summary>A paragraph of text runs; <paramref name="Anchor"/> is a verdict's HTML id (<c>verdict</c> when null; unique in a page).</summary>
internal sealed record Paragraph(IReadOnlyList<Inline> Content, ParagraphStyle Style = ParagraphStyle.Normal, string? Anchor = null) : Block
{
    public Paragraph(string text, ParagraphStyle style = ParagraphStyle.Normal)
        : this([new Text(text)], style)
    {
    }
}

/// <summary>A bulleted list of plain-text items.</summary>
internal sealed record BulletList(IReadOnlyList<string> Items, ParagraphStyle Style = ParagraphStyle.Normal) : Block;

/// <summary>How a table cell stands out.</summary>
internal enum CellStyle
{
    Plain,

    /// <summary>The better value of its row (a mark and a highlight).</summary>
    Best,

    /// <summary>A gain (shown in green where colours exist).</summary>
    Positive,

    /// <summary>A loss (shown in red where colours exist).</summary>
    Negative,

    /// <summary>A count on a confusion matrix's diagonal (right answers), shaded by <see cref="Cell.Heat"/>.</summary>
    HeatRight,

    /// <summary>A count off the diagonal (mistakes), shaded by <see cref="Cell.Heat"/>.</summary>
    HeatWrong,
}

/// <summary>One table cell: its text and how it stands out (<paramref name="Heat"/> in 0..1 for the heat styles).</summary>
internal sealed record Cell(string Text, CellStyle Style = CellStyle.Plain, double Heat = 0)
{
    /// <summary>Shown next to a <see cref="CellStyle.Best"/> value.</summary>
    public const string BestMark = "✓";

    public static implicit operator Cell(string text) => new(text);
}

/// <summary>One table row; <paramref name="Key"/> names it for machines (HTML data-key) or is null.</summary>
internal sealed record Row(IReadOnlyList<Cell> Cells, string? Key = null);

/// <summary>
/// A table: the first column names the row, the others hold figures (right-aligned) unless <paramref name="TextColumns"/>.
/// <paramref name="Id"/> and <paramref name="Kind"/> are stable hooks for styling and tests (HTML id and class); <paramref name="Collapsed"/>
/// names a table that is secondary to a picture next to it (HTML folds it away under that summary; Markdown shows it).
/// </summary>
internal sealed record Table(IReadOnlyList<string> Header, IReadOnlyList<Row> Rows, string? Id = null, string? Kind = null, bool TextColumns = false, string? Collapsed = null) : Block;

/// <summary>A chart or other picture shown on its own.</summary>
internal sealed record Image(Picture Picture) : Block
{
    public override IEnumerable<Picture> Pictures() => [Picture];
}

/// <summary>Captioned pictures shown side by side.</summary>
internal sealed record FigureGroup(IReadOnlyList<(string Caption, Picture Picture)> Figures) : Block
{
    public override IEnumerable<Picture> Pictures() => Figures.Select(f => f.Picture);
}

/// <summary>One prediction shown under a gallery thumbnail.</summary>
internal sealed record GalleryPrediction(string Pipeline, string Predicted, float Confidence, bool Correct)
{
    /// <summary>The prediction as both writers show it: class, confidence, right or wrong.</summary>
    public string Summary => $"{Predicted} ({Results.Figures.Percent(Confidence)}) {(Correct ? "✓" : "✗")}";
}

/// <summary>One gallery entry: the test image and what the pipelines said.</summary>
internal sealed record GalleryItem(string Name, string TrueLabel, Picture? Thumbnail, IReadOnlyList<GalleryPrediction> Predictions);

/// <summary>Test images with what each pipeline predicted (not empty: an empty gallery is a note instead).</summary>
internal sealed record Gallery(IReadOnlyList<GalleryItem> Items) : Block
{
    public override IEnumerable<Picture> Pictures() => Items.Select(i => i.Thumbnail).OfType<Picture>();
}
