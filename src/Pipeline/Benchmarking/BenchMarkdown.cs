using System.Globalization;
using System.Text;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Benchmarking;

/// <summary>The Markdown performance table <c>pipeline bench --readme</c> puts in README's generated block (figures as <see cref="Figures"/> writes them).</summary>
public static class BenchMarkdown
{
    public static string Table(BenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        var cores = result.Machine.LogicalCores;
        text.AppendLine(Invariant($"| Pipeline | Features/s, 1 thread | Features/s, all threads | Decode + features/s, 1 / all threads | Train (head) | Train total (cache off) | Train images/s (network) | Predict p50 / p95 (ms) | Batch predict (images/s) | Managed alloc / prediction ({Figures.KilobyteUnit}) | Model ({Figures.MegabyteUnit}) | Peak working set ({Figures.MegabyteUnit}) |"));
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in result.Results)
        {
            text.Append(Invariant($"| {r.Pipeline} ({r.FeatureSet}, {r.Trainer}) "));
            text.Append(Invariant($"| {Figures.Rate(r.FeaturizeImagesPerSecondOneThread)} "));
            text.Append(r.FeaturizeThreads > 0 ? Invariant($"| {Figures.Rate(r.FeaturizeImagesPerSecondAllThreads)} ({r.FeaturizeThreads} threads) ") : $"| {Figures.Missing} ");
            text.Append(Invariant($"| {Figures.Rate(r.DecodeFeaturizeImagesPerSecondOneThread)} / {Figures.Rate(r.DecodeFeaturizeImagesPerSecondAllThreads)} "));
            text.Append(Invariant($"| {Figures.Seconds(r.TrainSeconds)} "));
            text.Append(Invariant($"| {Figures.Seconds(r.TrainTotalSeconds)} ({Figures.LargeCount(r.TrainCount)} images) "));
            text.Append(Invariant($"| {Figures.Rate(r.TrainImagesPerSecond)} "));
            text.Append(Invariant($"| {Figures.Milliseconds(r.PredictMillisecondsP50, withUnit: false)} / {Figures.Milliseconds(r.PredictMillisecondsP95, withUnit: false)} "));
            text.Append(Invariant($"| {Figures.Rate(r.BatchImagesPerSecond)} "));
            text.Append(Invariant($"| {Figures.Kilobytes(r.AllocatedBytesPerPrediction)} "));
            text.Append(Invariant($"| {Figures.Megabytes(r.ModelBytes)} "));
            text.AppendLine(Invariant($"| {Figures.Megabytes(r.PeakWorkingSetBytes)} |"));
        }

        text.AppendLine();
        var cpu = result.Machine.CpuModel is { } model ? $"{model}, " : string.Empty;
        text.Append(Invariant($"Rates in images/s; latency one thread, decode included, after warm-up; all threads = {cores} cores; {Figures.SizeUnitNote}, {Figures.Missing} = not measured. "));
        text.Append(Invariant($"Data: {result.Dataset.Name}, {Figures.LargeCount(result.Dataset.TrainCount)} train / {Figures.LargeCount(result.Dataset.TestCount)} test images. "));
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
}
