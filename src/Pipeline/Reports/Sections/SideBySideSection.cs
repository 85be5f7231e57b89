using ImageWorkbench.Pipeline.Reports.Document;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>The summary tables (quality, then cost) with the better value of each row marked, and the accuracy-versus-latency chart.</summary>
internal sealed class SideBySideSection : IReportSection
{
    public IEnumerable<Block> Build(ReportContext context)
    {
        if (context.Runs.Count == 0)
        {
            yield break;
        }

        yield return new Heading(2, "Side by side", "side-by-side");
        if (context.Runs.Count > 1)
        {
            yield return new Paragraph($"{Cell.BestMark} marks the better value in each row (↑ higher is better, ↓ lower is better).", ParagraphStyle.Note);
        }

        yield return new Heading(3, "Quality");
        yield return Table(context, "Figure", "summary-quality", context.Summary.Where(IsQuality));
        yield return new Heading(3, "Cost");
        yield return Table(context, "Cost", "summary-cost", context.Summary.Where(r => !IsQuality(r)));
        if (ReportCharts.AccuracyVersusCost(context.Result, context.Labels) is { } scatter
            && ReportContext.Picture("accuracy-vs-latency", scatter, "Accuracy against prediction latency") is { } picture)
        {
            yield return new Image(picture);
        }
    }

    private static bool IsQuality(SummaryRow row) => row.Kind is MetricKind.Ratio or MetricKind.LogLoss;

    private static Table Table(ReportContext context, string firstColumn, string id, IEnumerable<SummaryRow> rows) => new(
        [firstColumn, .. context.Labels],
        [.. rows.Select(row => new Row(
            [$"{row.Name} {(row.HigherIsBetter ? "↑" : "↓")}", .. row.Values.Select((v, i) => new Cell(ReportText.Value(row.Kind, v), row.Best.Contains(i) ? CellStyle.Best : CellStyle.Plain))],
            row.Key))],
        id,
        "summary");
}
