using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Reports.Document;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>
/// How far the figures can be trusted: accuracy and macro F1 with 95 % intervals, train against test accuracy (over-fitting),
/// McNemar's test and the paired interval of the accuracy difference for every pair, and a reliability diagram per pipeline.
/// </summary>
internal sealed class UncertaintySection : IReportSection
{
    public IEnumerable<Block> Build(ReportContext context)
    {
        if (context.Runs.Count == 0)
        {
            yield break;
        }

        var stats = context.Statistics;
        yield return new Heading(2, "Uncertainty, over-fitting and calibration", "uncertainty");
        yield return new Paragraph(
            $"Intervals are 95 %: Wilson's for accuracy; for macro F1 and for the difference of two accuracies, a bootstrap over the test images " +
            $"({Figures.LargeCount(Bootstrap.Resamples)} draws, seed {Figures.Count(context.Result.Seed)}). McNemar's exact test compares two pipelines on the images only one of them " +
            $"got right; a difference is called significant when p < {McNemar.SignificanceLevel.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}.",
            ParagraphStyle.Note);
        yield return new Table(
            ["Figure", .. context.Labels],
            [
                Row("Test accuracy [95 % interval]", context, (run, s) => $"{Figures.Ratio(run.Metrics.Accuracy)} {Figures.Interval(s.AccuracyCi95)}", "accuracyCi95"),
                Row("Macro F1 [95 % interval]", context, (run, s) => $"{Figures.Ratio(run.Metrics.MacroF1)} {Figures.Interval(s.MacroF1Ci95)}", "macroF1Ci95"),
                Row("Train accuracy", context, (_, s) => Figures.Ratio(s.TrainAccuracy), "trainAccuracy"),
                Row("Over-fitting gap (train − test accuracy) ↓", context, (run, s) => Figures.Signed(s.OverfittingGap(run)), "overfittingGap"),
                Row($"Expected calibration error ({Figures.Count(Calibration.DefaultBins)} bins) ↓", context, (_, s) => Figures.Ratio(s.Calibration.Ece), "ece"),
            ],
            "uncertainty-figures",
            "summary");

        if (stats.Pairs.Count > 0)
        {
            yield return new Heading(3, "Is the difference real? (paired, image by image)");
            foreach (var pair in stats.Pairs)
            {
                yield return new Paragraph(SignificanceText.Pair(context.Result, pair));
            }

            yield return new Table(
                ["A", "B", "Test images", "Only A right", "Only B right", "Accuracy B − A", "95 % interval", "McNemar p"],
                [.. stats.Pairs.Select(p => new Row(
                [
                    context.Labels[p.A],
                    context.Labels[p.B],
                    Figures.Count(p.Matched),
                    Figures.Count(p.OnlyARight),
                    Figures.Count(p.OnlyBRight),
                    new Cell(Figures.Signed(p.AccuracyDifference), !p.Significant ? CellStyle.Plain : p.AccuracyDifference > 0 ? CellStyle.Positive : CellStyle.Negative),
                    Figures.SignedInterval(p.AccuracyDifferenceCi95),
                    Figures.PValue(p.McNemarP),
                ]))],
                "pairwise",
                "pairwise");
        }

        var charts = stats.Runs
            .Select((s, i) => (Label: context.Labels[i], Picture: ReportContext.Picture(
                $"reliability-{Figures.Count(i + 1)}-{ReportContext.Slug(context.Labels[i])}",
                ReportCharts.Reliability(s.Calibration, context.Labels[i], i),
                $"Reliability diagram of {context.Labels[i]}")))
            .Where(c => c.Picture is not null)
            .Select(c => (c.Label, c.Picture!))
            .ToArray();
        if (charts.Length > 0)
        {
            yield return new Heading(3, "Calibration: is a 90 % confident prediction right 90 % of the time?");
            yield return new Paragraph(
                $"Bars: the accuracy of the test images in each confidence bin (diamonds at the bin's mean confidence). The dashed diagonal is perfect calibration; " +
                "bars below it are over-confident, above it under-confident. ECE is the gap between bars and diagonal, weighted by the images in each bin.",
                ParagraphStyle.Note);
            yield return new FigureGroup(charts);
        }
    }

    private static Row Row(string name, ReportContext context, Func<PipelineRun, RunStatistics, string> value, string key) =>
        new([name, .. context.Runs.Select((run, i) => (Cell)value(run, context.Statistics.Runs[i]))], key);
}
