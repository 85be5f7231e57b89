using ImageWorkbench.Pipeline.Reports.Document;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>For every pair of pipelines: image-by-image agreement, F1 difference per class, and galleries of the images only one got right.</summary>
internal sealed class DisagreementsSection : IReportSection
{
    /// <summary>At most this many images per direction in a disagreement gallery.</summary>
    public const int GalleryLimit = 12;

    public IEnumerable<Block> Build(ReportContext context) => context.Pairs.SelectMany(pair => Pair(context, pair));

    private static IEnumerable<Block> Pair(ReportContext context, PairComparison p)
    {
        var (a, b) = (context.Labels[p.A], context.Labels[p.B]);
        yield return new Heading(2, $"Where they differ: {a} vs {b}");
        yield return new Paragraph(
            $"Of {Figures.Count(p.Matched)} test images found in both (matched by name): both right {Figures.Count(p.BothCorrect)}, both wrong {Figures.Count(p.BothWrong)}, " +
            $"only {a} right {Figures.Count(p.OnlyACorrect.Count)}, only {b} right {Figures.Count(p.OnlyBCorrect.Count)}.");
        yield return new Heading(3, $"F1 difference per class ({b} minus {a}; {b} wins at the top, loses at the bottom)");
        yield return new Table(
            ["Class", "Support", $"F1 {a}", $"F1 {b}", "Difference"],
            [.. p.ClassDifferences.Select(d => new Row(
            [
                d.Class,
                Figures.Count(d.Support),
                Figures.Ratio(d.F1A),
                Figures.Ratio(d.F1B),
                new Cell(Figures.Signed(d.Difference), d.Difference > 0 ? CellStyle.Positive : d.Difference < 0 ? CellStyle.Negative : CellStyle.Plain),
            ]))],
            Kind: "classdiff");
        foreach (var block in context.Gallery($"{a} right, {b} wrong", [.. p.OnlyACorrect.Select(i => new[] { i.A, i.B })], [p.A, p.B], GalleryLimit))
        {
            yield return block;
        }

        foreach (var block in context.Gallery($"{b} right, {a} wrong", [.. p.OnlyBCorrect.Select(i => new[] { i.A, i.B })], [p.A, p.B], GalleryLimit))
        {
            yield return block;
        }
    }
}
