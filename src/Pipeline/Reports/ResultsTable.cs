using System.Text;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>The compact results table for README's generated results section.</summary>
public static class ResultsTable
{
    /// <summary>
    /// A markdown table (pipeline, trainer, accuracy, macro F1, log-loss, featurize img/s, train s, p50 ms, model MB), one row per pipeline,
    /// followed by a line naming the command, the machine and the date. MB = 1,000,000 bytes; "–" marks a figure that was not measured.
    /// </summary>
    public static string Markdown(ComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder();
        sb.Append("| Pipeline | Trainer | Accuracy | Macro F1 | Log-loss | Featurize img/s | Train s | p50 ms | Model MB |\n");
        sb.Append("|---|---|--:|--:|--:|--:|--:|--:|--:|\n");
        foreach (var run in result.Results)
        {
            var p50 = ReportAnalysis.Cost(run.PredictMillisecondsP50);
            sb.Append("| ").Append(ReportFormat.MarkdownCell(run.Pipeline))
                .Append(" | ").Append(ReportFormat.MarkdownCell(run.Trainer))
                .Append(" | ").Append(ReportFormat.Ratio(run.Metrics.Accuracy))
                .Append(" | ").Append(ReportFormat.Ratio(run.Metrics.MacroF1))
                .Append(" | ").Append(ReportFormat.Number(run.Metrics.LogLoss, "0.000"))
                .Append(" | ").Append(ReportFormat.Rate(ReportAnalysis.Cost(run.FeaturizeImagesPerSecond))).Append(run.FeatureCacheHits > 0 ? " (cached)" : string.Empty)
                .Append(" | ").Append(ReportFormat.Number(ReportAnalysis.Cost(run.TrainSeconds), "0.0"))
                .Append(" | ").Append(ReportFormat.Milliseconds(p50).Replace(" ms", "", StringComparison.Ordinal))
                .Append(" | ").Append(ReportFormat.Megabytes(ReportAnalysis.Cost(run.ModelBytes)))
                .Append(" |\n");
        }

        sb.Append('\n').Append("Command: `").Append(result.Command.Replace('`', '\'')).Append("` on ").Append(ReportFormat.MarkdownCell(result.Machine))
            .Append(", ").Append(result.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))
            .Append(", ").Append(ReportFormat.MarkdownCell(result.Dataset.Name)).Append(" (").Append(ReportText.N(result.Dataset.TrainCount)).Append(" train / ")
            .Append(ReportText.N(result.Dataset.TestCount)).Append(" test images).");
        var runLine = ReportText.RunLine(result);
        sb.Append(runLine.Length > 0 ? " " + runLine : string.Empty).Append('\n');
        return sb.ToString();
    }
}
