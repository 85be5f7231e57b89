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
        text.AppendLine(Invariant($"| Pipeline | Features/s, 1 thread | Features/s, all threads | Decode + features/s, 1 / all threads | Train (head) | Train total (cache off) | Train images/s (network) | Predict p50 / p95 (ms) | Batch predict, in memory / files (images/s) | Managed alloc / prediction ({Figures.KilobyteUnit}) | Model ({Figures.MegabyteUnit}) | Peak working set ({Figures.MegabyteUnit}) |"));
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
            text.Append(Invariant($"| {Figures.Rate(r.BatchImagesPerSecond)} / {Figures.Rate(r.FilePredictImagesPerSecond)} "));
            text.Append(Invariant($"| {Figures.Kilobytes(r.AllocatedBytesPerPrediction)} "));
            text.Append(Invariant($"| {Figures.Megabytes(r.ModelBytes)} "));
            text.AppendLine(Invariant($"| {Figures.Megabytes(r.PeakWorkingSetBytes)} |"));
        }

        text.AppendLine();
        var cpu = result.Machine.CpuModel is { } model ? $"{model}, " : string.Empty;
        text.Append(Invariant($"Rates in images/s; latency one thread, decode included, after warm-up; all threads = {cores} cores; batch from files = `predict --out` over {Figures.LargeCount(result.Options.FilePredictSamples)} image files; {Figures.SizeUnitNote}, {Figures.Missing} = not measured. "));
        text.Append(Invariant($"Data: {result.Dataset.Name}, {Figures.LargeCount(result.Dataset.TrainCount)} train / {Figures.LargeCount(result.Dataset.TestCount)} test images. "));
        text.Append(Invariant($"Machine: {cpu}{result.Machine.Description}. "));
        text.AppendLine(Invariant($"Measured {result.CreatedUtc.UtcDateTime:yyyy-MM-dd HH:mm} UTC by `{result.Command}`."));
        AppendFeatureSets(text, result.FeatureSets, result.OpenCv);
        AppendBackbone(text, result.Backbone);
        AppendShardScaling(text, result.ShardScaling);
        return text.ToString();
    }

    private static void AppendFeatureSets(StringBuilder text, IReadOnlyList<FeatureSetSpeed> rows, OpenCvComparison? openCv)
    {
        if (rows.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("| Feature set (extractor alone) | Input | Features | Images/s, 1 thread | Images/s, all threads |");
            text.AppendLine("|---|---|---:|---:|---:|");
            foreach (var r in rows)
            {
                text.AppendLine(Invariant($"| {r.FeatureSet} | {r.Input} | {Figures.LargeCount(r.FeatureLength)} | {Figures.Rate(r.ImagesPerSecondOneThread)} | {Figures.Rate(r.ImagesPerSecondAllThreads)} ({r.Threads} threads) |"));
            }

            text.AppendLine();
            text.AppendLine(Invariant($"Every preset of the registry on the bench's {rows[0].Samples} training images, decoded and stretched to its input first; one extractor per thread."));
        }

        if (openCv is null)
        {
            return;
        }

        text.AppendLine();
        text.AppendLine(Invariant($"| {openCv.FeatureSet} features, {openCv.Threads} threads | Images/s | Speed-up |"));
        text.AppendLine("|---|---:|---:|");
        text.AppendLine(Invariant($"| ours (one extractor per thread) | {Figures.Rate(openCv.ImagesPerSecond)} | {Figures.Number(openCv.SpeedupOverOpenCv, "0.0")}x |"));
        text.AppendLine(Invariant($"| OpenCV `cv2.Sobel` + numpy, batched ({openCv.OpenCv}) | {Figures.Rate(openCv.OpenCvImagesPerSecond)} | 1.0x |"));
        text.AppendLine();
        text.AppendLine(Invariant($"Same run, one right after the other, on the same {openCv.Samples} decoded images: `benchmarks/opencv/grey28_features.py` computes the same {Figures.LargeCount(openCv.FeatureLength)} features for {Figures.LargeCount(openCv.Batch)} images per call (the images repeated), with no per-pixel or per-image Python loop, its batch split over {openCv.Threads} Python threads, each calling single-threaded OpenCV."));
    }

    private static void AppendBackbone(StringBuilder text, BackboneBench? b)
    {
        if (b is null)
        {
            return;
        }

        text.AppendLine();
        text.AppendLine("| ResNet18 backbone (engine alone) | Images/s | vs PyTorch |");
        text.AppendLine("|---|---:|---:|");
        text.AppendLine(Invariant($"| float (default) | {Figures.Rate(b.FloatImagesPerSecond)} | {Figures.Number(b.FloatSpeedupOverPyTorch, "0.00")}x |"));
        text.AppendLine(Invariant($"| int8 (`--backbone-precision int8`) | {Figures.Rate(b.Int8ImagesPerSecond)} | {Figures.Number(b.Int8SpeedupOverPyTorch, "0.00")}x |"));
        text.AppendLine(Invariant($"| PyTorch resnet18 ({b.PyTorch}) | {Figures.Rate(b.PyTorchImagesPerSecond)} | 1.00x |"));
        text.AppendLine();
        text.AppendLine(Invariant($"Same run, one after the other: batch {b.Batch}, {b.InputSize}x{b.InputSize}, {b.Threads} threads each, idle threads sleeping (OMP_WAIT_POLICY=PASSIVE for PyTorch), {b.Samples} decoded training images; CPU {b.CpuModel ?? "unknown"} ({b.CpuVectorExtensions})."));
    }

    private static void AppendShardScaling(StringBuilder text, IReadOnlyList<ShardScalingRow> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        text.AppendLine();
        text.AppendLine("| `featurize --shard i/N` processes at once | Wall time | Images/s | Speed-up |");
        text.AppendLine("|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            text.AppendLine(Invariant($"| {r.Processes} (this machine) | {Figures.Seconds(r.WallSeconds)} | {Figures.Rate(r.ImagesPerSecond)} | {Figures.Number(r.Speedup, "0.00")}x |"));
        }

        // on paper: shards share nothing, so N machines like this one featurize N times as fast as one
        var one = rows[0].ImagesPerSecond;
        foreach (var machines in new[] { 4, 16, 64 })
        {
            text.AppendLine(Invariant($"| {machines} machines like this, 1 process each (on paper) | {Figures.Duration(1_000_000 / (one * machines))} per 1M images | {Figures.Rate(one * machines)} | {machines}x |"));
        }

        text.AppendLine();
        text.AppendLine(Invariant($"{Figures.LargeCount(rows[0].Images)} images, float backbone, CNN feature cache off; each process starts, loads the network, featurizes its shard and writes its Parquet file. On paper: shards share nothing, so machines add up; one machine like this needs {Figures.Duration(1_000_000 / one)} per million images."));
    }

    /// <summary>
    /// Fails before a long run, rather than after it, when <paramref name="markdownPath"/> is missing or has no
    /// generated block <paramref name="name"/> for <see cref="Reports.GeneratedSection.Replace"/> to fill.
    /// </summary>
    public static void CheckSection(string markdownPath, string name) => Reports.GeneratedSection.Check(markdownPath, name);

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
