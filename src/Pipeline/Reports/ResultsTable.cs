using System.Globalization;
using System.Text;
using ImageWorkbench.Pipeline.Reports.Document;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>The compact results table for README's generated results section.</summary>
public static class ResultsTable
{
    /// <summary>
    /// A markdown table (pipeline, trainer, accuracy and its Wilson 95 % interval, macro F1 and its bootstrap 95 % interval, log-loss, featurize img/s, train s, p50 ms, model MB), one row per pipeline,
    /// followed by a line naming the command, the machine and the date. Figures as <see cref="Figures"/> writes them (MB = 1,000,000 bytes;
    /// <see cref="Figures.Missing"/> marks a figure that was not measured).
    /// </summary>
    public static string Markdown(ComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder();
        sb.Append("| Pipeline | Trainer | Accuracy | Accuracy 95% CI | Macro F1 | Macro F1 95% CI | Log-loss | Featurize img/s | Train s | p50 ms | Model ").Append(Figures.MegabyteUnit).Append(" |\n");
        sb.Append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        var statistics = ComparisonStatistics.Compute(result);
        foreach (var (run, stats) in result.Results.Zip(statistics.Runs))
        {
            sb.Append("| ").Append(MarkdownWriter.Escape(run.Pipeline))
                .Append(" | ").Append(MarkdownWriter.Escape(run.Trainer))
                .Append(" | ").Append(Figures.Ratio(run.Metrics.Accuracy))
                .Append(" | ").Append(Figures.Interval(stats.AccuracyCi95))
                .Append(" | ").Append(Figures.Ratio(run.Metrics.MacroF1))
                .Append(" | ").Append(Figures.Interval(stats.MacroF1Ci95))
                .Append(" | ").Append(Figures.LogLoss(run.Metrics.LogLoss))
                .Append(" | ").Append(Figures.Rate(Figures.Cost(run.FeaturizeImagesPerSecond))).Append(run.FeatureCacheHits > 0 ? " (cached)" : string.Empty)
                .Append(" | ").Append(Figures.Number(Figures.Cost(run.TrainSeconds), "0.0"))
                .Append(" | ").Append(Figures.Milliseconds(Figures.Cost(run.PredictMillisecondsP50), withUnit: false))
                .Append(" | ").Append(Figures.Megabytes(Figures.Cost(run.ModelBytes)))
                .Append(" |\n");
        }

        sb.Append('\n').Append("Command: `").Append(MarkdownWriter.CodeText(result.Command)).Append("` on ").Append(MarkdownWriter.Escape(result.Machine))
            .Append(", ").Append(result.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
            .Append(", ").Append(MarkdownWriter.Escape(result.Dataset.Name)).Append(" (").Append(Figures.Count(result.Dataset.TrainCount)).Append(" train / ")
            .Append(Figures.Count(result.Dataset.TestCount)).Append(" test images).");
        var runLine = ReportText.RunLine(result);
        sb.Append(runLine.Length > 0 ? " " + runLine : string.Empty).Append('\n');
        return sb.ToString();
    }
}
