using System.Globalization;
using System.Text;

namespace ImageWorkbench.Pipeline.Benchmarking;

/// <summary>The Markdown performance table <c>pipeline bench --readme</c> puts in README's generated block.</summary>
public static class BenchMarkdown
{
    public static string Table(BenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        var cores = result.Machine.LogicalCores;
        text.AppendLine("| Pipeline | Features/s, 1 thread | Features/s, all threads | Decode + features/s, 1 / all threads | Train (head) | Train total (cache off) | Predict p50 / p95 | Batch predict | Managed alloc / prediction | Model | Peak working set |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in result.Results)
        {
            text.Append(Invariant($"| {r.Pipeline} ({r.FeatureSet}, {r.Trainer}) "));
            text.Append(Invariant($"| {Rate(r.FeaturizeImagesPerSecondOneThread)} "));
            text.Append(Invariant($"| {Rate(r.FeaturizeImagesPerSecondAllThreads)} ({r.FeaturizeThreads} threads) "));
            text.Append(Invariant($"| {Rate(r.DecodeFeaturizeImagesPerSecondOneThread)} / {Rate(r.DecodeFeaturizeImagesPerSecondAllThreads)} "));
            text.Append(Invariant($"| {Seconds(r.TrainSeconds)} "));
            text.Append(Invariant($"| {Seconds(r.TrainTotalSeconds)} ({r.TrainCount:N0} images) "));
            text.Append(Invariant($"| {Millis(r.PredictMillisecondsP50)} / {Millis(r.PredictMillisecondsP95)} "));
            text.Append(Invariant($"| {Rate(r.BatchImagesPerSecond)} "));
            text.Append(Invariant($"| {Bytes(r.AllocatedBytesPerPrediction)} "));
            text.Append(Invariant($"| {Bytes(r.ModelBytes)} "));
            text.AppendLine(Invariant($"| {Bytes(r.PeakWorkingSetBytes)} |"));
        }

        text.AppendLine();
        var cpu = result.Machine.CpuModel is { } model ? $"{model}, " : string.Empty;
        text.Append(Invariant($"Rates in images/s; latency in ms (one thread, decode included, after warm-up); all threads = {cores} cores. "));
        text.Append(Invariant($"Data: {result.Dataset.Name}, {result.Dataset.TrainCount:N0} train / {result.Dataset.TestCount:N0} test images. "));
        text.Append(Invariant($"Machine: {cpu}{result.Machine.Description}. "));
        text.AppendLine(Invariant($"Measured {result.CreatedUtc.UtcDateTime:yyyy-MM-dd HH:mm} UTC by `{result.Command}`."));
        return text.ToString();
    }

    /// <summary>
    /// Fails before a long run, rather than after it, when <paramref name="markdownPath"/> is missing or has no
    /// generated block <paramref name="name"/> for <see cref="Reports.GeneratedSection.Replace"/> to fill.
    /// </summary>
    public static void CheckSection(string markdownPath, string name) => Reports.GeneratedSection.Check(markdownPath, name);

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Rate(double value) => !double.IsFinite(value) ? "n/a" : value >= 100 ? Invariant($"{value:N0}") : Invariant($"{value:N1}");

    private static string Seconds(double value) => !double.IsFinite(value) ? "n/a" : value >= 10 ? Invariant($"{value:N0} s") : Invariant($"{value:F2} s");

    private static string Millis(double value) => !double.IsFinite(value) ? "n/a" : value >= 10 ? Invariant($"{value:F1}") : Invariant($"{value:F3}");

    private static string Bytes(double value)
    {
        if (!double.IsFinite(value))
        {
            return "n/a";
        }

        return value switch
        {
            >= 1024 * 1024 => Invariant($"{value / (1024 * 1024):F1} MiB"),
            >= 1024 => Invariant($"{value / 1024:F1} KiB"),
            _ => Invariant($"{value:F0} B"),
        };
    }
}
