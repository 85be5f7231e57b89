using System.Globalization;
using System.Text;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>Text shared by the markdown and HTML writers, so both say the same thing.</summary>
internal static class ReportText
{
    public const string BestMark = "✓";

    public static readonly string[] QualityKeys = ["accuracy", "macroAccuracy", "macroF1", "logLoss"];

    public static string Value(MetricKind kind, double value) => kind switch
    {
        MetricKind.Ratio => ReportFormat.Ratio(value),
        MetricKind.LogLoss => ReportFormat.Number(value, "0.000"),
        MetricKind.Rate => ReportFormat.Rate(value),
        MetricKind.Seconds => ReportFormat.Seconds(value),
        MetricKind.Milliseconds => ReportFormat.Milliseconds(value),
        MetricKind.Bytes => ReportFormat.Bytes(value),
        _ => ReportFormat.Number(value, "G6"),
    };

    public static bool IsQuality(SummaryRow row) => row.Kind is MetricKind.Ratio or MetricKind.LogLoss;

    public static string Direction(SummaryRow row) => row.HigherIsBetter ? "↑" : "↓";

    public static string DatasetLine(ReportContent c)
    {
        var d = c.Result.Dataset;
        var classes = d.Classes.Count <= 12 ? $" ({string.Join(", ", d.Classes)})" : "";
        return $"{d.Name}: {d.Classes.Count.ToString(CultureInfo.InvariantCulture)} classes{classes}, {d.TrainCount.ToString(CultureInfo.InvariantCulture)} training and {d.TestCount.ToString(CultureInfo.InvariantCulture)} test images.";
    }

    /// <summary>What the whole comparison cost the machine, or empty when it was not measured.</summary>
    public static string RunLine(ComparisonResult r)
    {
        if (!ReportFormat.IsMeasured(r.RunSeconds))
        {
            return string.Empty;
        }

        var peak = r.PeakWorkingSetBytes > 0 ? $", peak working set {ReportFormat.Bytes(r.PeakWorkingSetBytes)}" : string.Empty;
        return $"Whole comparison: {ReportFormat.Duration(r.RunSeconds)} wall time (featurizing, training, evaluating and timing every pipeline; loading the data and writing the report excluded){peak}.";
    }

    public static string Created(ReportContent c) => c.Result.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Counts(ReportContent c, PairComparison p) =>
        $"Of {N(p.Matched)} test images found in both (matched by name): both right {N(p.BothCorrect)}, both wrong {N(p.BothWrong)}, " +
        $"only {c.Labels[p.A]} right {N(p.OnlyACorrect.Count)}, only {c.Labels[p.B]} right {N(p.OnlyBCorrect.Count)}.";

    public static string Signed(double value) => ReportFormat.IsMeasured(value) ? (value > 0 ? "+" : value < 0 ? "−" : "±") + Math.Abs(value).ToString("0.000", CultureInfo.InvariantCulture) : ReportFormat.Missing;

    public static string GalleryHeading(Gallery g) =>
        g.Total > g.Items.Count ? $"{g.Title} ({N(g.Total)}; showing {N(g.Items.Count)}, most confident mistakes first)" : $"{g.Title} ({N(g.Total)})";

    public static string Prediction(GalleryPrediction p) => $"{p.Predicted} ({ReportFormat.Percent(p.Confidence)}) {(p.Correct ? "✓" : "✗")}";

    public static string TopK(PipelineRun run) =>
        string.Join(", ", run.Metrics.TopKAccuracy.OrderBy(p => p.Key).Select(p => $"top-{p.Key.ToString(CultureInfo.InvariantCulture)} {ReportFormat.Ratio(p.Value)}"));

    public static readonly string[] Notes =
    [
        "Accuracy, macro accuracy (mean per-class recall), macro F1, log-loss and top-k are measured on the same test split for every pipeline.",
        "Featurization speed: training-set decode plus features, all cores. Training time: the classifier head only.",
        "Prediction latency: one image at a time through the saved model, one thread, after warm-up (p50 and p95). Batch throughput: a batch on all cores.",
        "Model size: the saved model package. Peak working set: of the whole process after the pipeline ran. MB = 1,000,000 bytes.",
    ];

    public static string CostLine(PipelineRun run) =>
        $"Cost: featurization {ReportFormat.Rate(ReportAnalysis.Cost(run.FeaturizeImagesPerSecond))} images/s, training {ReportFormat.Seconds(ReportAnalysis.Cost(run.TrainSeconds))}, " +
        $"prediction p50 {ReportFormat.Milliseconds(ReportAnalysis.Cost(run.PredictMillisecondsP50))} / p95 {ReportFormat.Milliseconds(ReportAnalysis.Cost(run.PredictMillisecondsP95))}, " +
        $"batch {ReportFormat.Rate(ReportAnalysis.Cost(run.BatchImagesPerSecond))} images/s, model {ReportFormat.Bytes(ReportAnalysis.Cost(run.ModelBytes))}, " +
        $"peak working set {ReportFormat.Bytes(ReportAnalysis.Cost(run.PeakWorkingSetBytes))}.";

    public static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Renders report.md (pictures referenced from <c>images/</c>).</summary>
internal static class MarkdownReport
{
    public static string Render(ReportContent c)
    {
        var sb = new StringBuilder();
        var r = c.Result;
        var labels = c.Labels;
        sb.Append("# ").Append(c.Title).Append("\n\n");
        sb.Append(Esc(ReportText.DatasetLine(c))).Append(" Generated ").Append(ReportText.Created(c)).Append(" by `").Append(Code(r.Command))
            .Append("` on ").Append(Esc(r.Machine)).Append("; seed ").Append(ReportText.N(r.Seed)).Append('.');
        var runLine = ReportText.RunLine(r);
        sb.Append(runLine.Length > 0 ? " " + Esc(runLine) : string.Empty).Append("\n\n");
        sb.Append("> **Verdict:** ").Append(Esc(c.TradeOff.Sentence)).Append("\n\n");

        if (r.Results.Count == 0)
        {
            return sb.ToString();
        }

        sb.Append("## Side by side\n\n");
        if (r.Results.Count > 1)
        {
            sb.Append(ReportText.BestMark).Append(" marks the better value in each row (↑ higher is better, ↓ lower is better).\n\n");
        }

        SummaryTable(sb, c, "Quality", c.Summary.Where(ReportText.IsQuality));
        SummaryTable(sb, c, "Cost", c.Summary.Where(x => !ReportText.IsQuality(x)));
        Image(sb, c.AccuracyVersusCost);

        if (c.PerClassF1 is not null)
        {
            sb.Append("## F1 per class\n\n");
            Image(sb, c.PerClassF1);
        }

        for (var i = 0; i < c.Pairs.Count; i++)
        {
            var p = c.Pairs[i];
            var (a, b) = (labels[p.A], labels[p.B]);
            sb.Append("## Where they differ: ").Append(Esc(a)).Append(" vs ").Append(Esc(b)).Append("\n\n");
            sb.Append(Esc(ReportText.Counts(c, p))).Append("\n\n");
            sb.Append("### F1 difference per class (").Append(Esc(b)).Append(" minus ").Append(Esc(a)).Append("; ").Append(Esc(b)).Append(" wins at the top, loses at the bottom)\n\n");
            sb.Append("| Class | Support | F1 ").Append(Esc(a)).Append(" | F1 ").Append(Esc(b)).Append(" | Difference |\n|---|--:|--:|--:|--:|\n");
            foreach (var d in p.ClassDifferences)
            {
                sb.Append("| ").Append(Esc(d.Class)).Append(" | ").Append(ReportText.N(d.Support)).Append(" | ").Append(ReportFormat.Ratio(d.F1A)).Append(" | ")
                    .Append(ReportFormat.Ratio(d.F1B)).Append(" | ").Append(ReportText.Signed(d.Difference)).Append(" |\n");
            }

            sb.Append('\n');
            var (onlyA, onlyB) = c.DisagreementGalleries[i];
            GalleryTable(sb, onlyA);
            GalleryTable(sb, onlyB);
        }

        for (var i = 0; i < r.Results.Count; i++)
        {
            var run = r.Results[i];
            var m = run.Metrics;
            sb.Append("## ").Append(Esc(labels[i])).Append(": details\n\n");
            sb.Append("Trainer ").Append(Esc(run.Trainer)).Append(", feature set ").Append(Esc(run.FeatureSet)).Append(", model `").Append(Code(run.ModelPath)).Append("`.\n\n");
            sb.Append("Accuracy ").Append(ReportFormat.Ratio(m.Accuracy)).Append(", macro accuracy ").Append(ReportFormat.Ratio(m.MacroAccuracy))
                .Append(", macro F1 ").Append(ReportFormat.Ratio(m.MacroF1)).Append(", log-loss ").Append(ReportFormat.Number(m.LogLoss, "0.000"))
                .Append("; ").Append(ReportText.TopK(run)).Append(" (").Append(ReportText.N(m.Count)).Append(" test images).\n\n");
            sb.Append(ReportText.CostLine(run)).Append("\n\n");

            sb.Append("### Per class\n\n| Class | Precision | Recall | F1 | Support |\n|---|--:|--:|--:|--:|\n");
            foreach (var pc in m.PerClass)
            {
                sb.Append("| ").Append(Esc(pc.Class)).Append(" | ").Append(ReportFormat.Ratio(pc.Precision)).Append(" | ").Append(ReportFormat.Ratio(pc.Recall))
                    .Append(" | ").Append(ReportFormat.Ratio(pc.F1)).Append(" | ").Append(ReportText.N(pc.Support)).Append(" |\n");
            }

            sb.Append("\n### Confusion matrix (rows true, columns predicted)\n\n");
            Image(sb, c.Confusion[i]);
            sb.Append("| true \\\\ predicted |");
            foreach (var cls in m.Classes)
            {
                sb.Append(' ').Append(Esc(cls)).Append(" |");
            }

            sb.Append("\n|---|").Append(string.Concat(Enumerable.Repeat("--:|", m.Classes.Count))).Append('\n');
            for (var t = 0; t < m.Classes.Count; t++)
            {
                sb.Append("| ").Append(Esc(m.Classes[t])).Append(" |");
                for (var p = 0; p < m.Classes.Count; p++)
                {
                    var v = ReportText.N(m.ConfusionMatrix[t][p]);
                    sb.Append(' ').Append(t == p ? $"**{v}**" : v).Append(" |");
                }

                sb.Append('\n');
            }

            sb.Append('\n');
            GalleryTable(sb, c.MistakeGalleries[i]);
        }

        if (c.FeatureExamples.Count > 0)
        {
            sb.Append("## What the hand-crafted features see\n\n");
            foreach (var (caption, picture) in c.FeatureExamples)
            {
                sb.Append("![").Append(Esc(caption)).Append("](").Append(picture.File).Append(")  \n*").Append(Esc(caption)).Append("*\n\n");
            }
        }

        sb.Append("## How these were measured\n\n");
        foreach (var note in ReportText.Notes)
        {
            sb.Append("- ").Append(note).Append('\n');
        }

        return sb.ToString();
    }

    private static void SummaryTable(StringBuilder sb, ReportContent c, string title, IEnumerable<SummaryRow> rows)
    {
        sb.Append("### ").Append(title).Append("\n\n| ").Append(title == "Quality" ? "Figure" : "Cost").Append(" |");
        foreach (var l in c.Labels)
        {
            sb.Append(' ').Append(Esc(l)).Append(" |");
        }

        sb.Append("\n|---|").Append(string.Concat(Enumerable.Repeat("--:|", c.Labels.Count))).Append('\n');
        foreach (var row in rows)
        {
            sb.Append("| ").Append(row.Name).Append(' ').Append(ReportText.Direction(row)).Append(" |");
            for (var i = 0; i < row.Values.Count; i++)
            {
                var v = ReportText.Value(row.Kind, row.Values[i]);
                sb.Append(' ').Append(row.Best.Contains(i) ? $"**{v}** {ReportText.BestMark}" : v).Append(" |");
            }

            sb.Append('\n');
        }

        sb.Append('\n');
    }

    private static void GalleryTable(StringBuilder sb, Gallery g)
    {
        sb.Append("### ").Append(Esc(ReportText.GalleryHeading(g))).Append("\n\n");
        if (g.Items.Count == 0)
        {
            sb.Append("None.\n\n");
            return;
        }

        sb.Append("| Image | Name | True class |");
        foreach (var p in g.Items[0].Predictions)
        {
            sb.Append(' ').Append(Esc(p.Pipeline)).Append(" |");
        }

        sb.Append("\n|---|---|---|").Append(string.Concat(Enumerable.Repeat("---|", g.Items[0].Predictions.Count))).Append('\n');
        foreach (var item in g.Items)
        {
            sb.Append("| ").Append(item.Thumbnail is { } t ? $"![{Esc(item.Name)}]({t.File})" : "(no picture)").Append(" | ").Append(Esc(item.Name)).Append(" | ").Append(Esc(item.TrueLabel)).Append(" |");
            foreach (var p in item.Predictions)
            {
                sb.Append(' ').Append(Esc(ReportText.Prediction(p))).Append(" |");
            }

            sb.Append('\n');
        }

        sb.Append('\n');
    }

    private static void Image(StringBuilder sb, Picture? picture)
    {
        if (picture is not null)
        {
            sb.Append("![").Append(Esc(picture.Alt)).Append("](").Append(picture.File).Append(")\n\n");
        }
    }

    private static string Esc(string text) => ReportFormat.MarkdownCell(text);

    private static string Code(string text) => text.Replace('`', '\'').Replace('\n', ' ');
}
