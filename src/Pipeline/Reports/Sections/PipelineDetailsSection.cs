using System.Globalization;
using ImageWorkbench.Pipeline.Reports.Document;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>For every pipeline: its set-up, all figures, per-class table, confusion matrix and its most confident mistakes.</summary>
internal sealed class PipelineDetailsSection : IReportSection
{
    /// <summary>At most this many images in a pipeline's gallery of mistakes.</summary>
    public const int MistakeGalleryLimit = 16;

    public IEnumerable<Block> Build(ReportContext context) => Enumerable.Range(0, context.Runs.Count).SelectMany(i => Run(context, i));

    private static IEnumerable<Block> Run(ReportContext context, int i)
    {
        var run = context.Runs[i];
        var m = run.Metrics;
        var label = context.Labels[i];
        var topK = string.Join(", ", m.TopKAccuracy.OrderBy(p => p.Key).Select(p => $"top-{p.Key.ToString(CultureInfo.InvariantCulture)} {Figures.Ratio(p.Value)}"));
        yield return new Heading(2, $"{label}: details", "pipeline-" + ReportContext.Slug(label));
        yield return new Paragraph([new Text("Trainer "), new Strong(run.Trainer), new Text(", feature set "), new Strong(run.FeatureSet), new Text(", model "), new Code(run.ModelPath), new Text(".")]);
        yield return new Paragraph(
            $"Accuracy {Figures.Ratio(m.Accuracy)}, macro accuracy {Figures.Ratio(m.MacroAccuracy)}, macro F1 {Figures.Ratio(m.MacroF1)}, log-loss {Figures.LogLoss(m.LogLoss)}; " +
            $"{topK} ({Figures.Count(m.Count)} test images).");
        yield return new Paragraph(
            $"Cost: featurization {Figures.Rate(Figures.Cost(run.FeaturizeImagesPerSecond))} images/s, training {Figures.Seconds(Figures.Cost(run.TrainSeconds))}, " +
            $"prediction p50 {Figures.Milliseconds(Figures.Cost(run.PredictMillisecondsP50))} / p95 {Figures.Milliseconds(Figures.Cost(run.PredictMillisecondsP95))}, " +
            $"batch {Figures.Rate(Figures.Cost(run.BatchImagesPerSecond))} images/s, model {Figures.Bytes(Figures.Cost(run.ModelBytes))}, " +
            $"peak working set {Figures.Bytes(Figures.Cost(run.PeakWorkingSetBytes))}.");

        yield return new Heading(3, "Per class");
        yield return new Table(
            ["Class", "Precision", "Recall", "F1", "Support"],
            [.. m.PerClass.Select(c => new Row([c.Class, Figures.Ratio(c.Precision), Figures.Ratio(c.Recall), Figures.Ratio(c.F1), Figures.Count(c.Support)]))]);

        yield return new Heading(3, "Confusion matrix (rows true, columns predicted)");
        if (ReportContext.Picture($"confusion-{Figures.Count(i + 1)}-{ReportContext.Slug(label)}", ReportCharts.ConfusionHeatmap(m, $"Confusion matrix: {label}"), $"Confusion matrix of {label}") is { } heatmap)
        {
            yield return new Image(heatmap);
        }

        var max = Math.Max(1, m.ConfusionMatrix.SelectMany(row => row).DefaultIfEmpty(0).Max());
        yield return new Table(
            ["true \\ predicted", .. m.Classes],
            [.. m.Classes.Select((cls, t) => new Row(
                [cls, .. m.ConfusionMatrix[t].Select((v, p) => new Cell(Figures.Count(v), t == p ? CellStyle.HeatRight : CellStyle.HeatWrong, (double)v / max))]))],
            Collapsed: "Confusion matrix as a table (rows true class, columns predicted)");

        var mistakes = ReportAnalysis.Mistakes(run);
        foreach (var block in context.Gallery($"Misclassified by {label}", [.. mistakes.Select(s => new[] { s })], [i], MistakeGalleryLimit))
        {
            yield return block;
        }
    }
}
