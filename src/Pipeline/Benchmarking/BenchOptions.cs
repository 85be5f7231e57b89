using ImageWorkbench.Pipeline.Measuring;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Benchmarking;

/// <summary>What <see cref="BenchRunner"/> measures and how long it spends on each rate.</summary>
public sealed record BenchOptions
{
    /// <summary>The pipelines to measure, in order; <see cref="PipelineRegistry.RunByDefault"/> by default.</summary>
    public IReadOnlyList<IPipelineWing> Pipelines { get; init; } = PipelineRegistry.RunByDefault;

    /// <summary>Split / training seed.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Training images (evenly spaced, deterministic) in the fixed featurization sample.</summary>
    public int FeaturizeSamples { get; init; } = 200;

    /// <summary>Test images timed one by one for the latency percentiles, then as a batch.</summary>
    public int LatencySamples { get; init; } = 200;

    /// <summary>Image files written for the <c>predict --out</c> rate (test images in turn, repeated when there are fewer).</summary>
    public int FilePredictSamples { get; init; } = 1_000;

    /// <summary>
    /// Each featurization rate cycles through the sample until at least this long has passed (and at least one whole
    /// pass is done), so fast extractors are timed over more than a few milliseconds.
    /// </summary>
    public double MinSecondsPerRate { get; init; } = 2.0;

    /// <summary>
    /// Minimum warm-up before each rate and before the latency timing, seconds; the warm-up then goes on until the
    /// JIT has compiled nothing for 0.5 s, at most 4x this (<see cref="WarmUp.Run"/>). .NET's tiered JIT runs new
    /// code unoptimised and promotes hot methods only after a quiet period. Measured on the 2-core workbench at load
    /// 12-15 (hand-crafted, grey28-v1, fixed warm-up times): after 5 warm-up calls (what <c>compare</c> does) p50
    /// latency 0.10-0.12 ms; after 1-2 s still 0.095-0.117 ms; after 4 s 0.018-0.027 ms, like
    /// <c>DOTNET_TieredCompilation=0</c> (0.023-0.026 ms) or <c>DOTNET_TC_CallCountingDelayMs=0</c> (0.022 ms).
    /// </summary>
    public double WarmUpSeconds { get; init; } = 2.0;

    /// <summary>Largest fraction of images that may be unreadable before the run fails: 0 fails on any, 1 never fails.</summary>
    public double MaxBadImageFraction
    {
        get => _maxBadImageFraction;
        init => _maxBadImageFraction = TrainingOptions.CheckFraction(value, "max bad image fraction");
    }

    private readonly double _maxBadImageFraction = 0.01;

    /// <summary>Trainer iteration cap (null = the trainer's default, as <c>train</c> and <c>compare</c> use).</summary>
    public int? MaxIterations { get; init; }
}

/// <summary>Everything one <c>pipeline bench</c> run measured; <see cref="BenchJson"/> writes it as bench.json.</summary>
public sealed record BenchResult(
    MachineInfo Machine,
    string Command,
    DateTimeOffset CreatedUtc,
    Results.DatasetSummary Dataset,
    BenchOptions Options,
    IReadOnlyList<PipelineBench> Results)
{
    /// <summary>The ResNet18 backbone, float and int8, against PyTorch's (null when the CNN pipeline was not benched).</summary>
    public BackboneBench? Backbone { get; init; }

    /// <summary><c>featurize --shard i/N</c> with 1 and 2 processes at once (empty when not measured).</summary>
    public IReadOnlyList<ShardScalingRow> ShardScaling { get; init; } = [];

    /// <summary>Every feature-set preset's extractor on one and on all threads (empty when not measured).</summary>
    public IReadOnlyList<FeatureSetSpeed> FeatureSets { get; init; } = [];

    /// <summary>grey28-v1 against OpenCV + numpy in the same run (null when not measured).</summary>
    public OpenCvComparison? OpenCv { get; init; }
}

/// <summary>
/// N <c>featurize --pipeline cnn --shard i/N</c> processes started at once on this machine over the bench's data.
/// </summary>
/// <param name="Processes">Processes (= shards) at once.</param>
/// <param name="Images">Images of the data set (all shards together).</param>
/// <param name="WallSeconds">From the first start to the last exit: start-up, model load, featurization, Parquet writes.</param>
/// <param name="ImagesPerSecond"><paramref name="Images"/> / <paramref name="WallSeconds"/>.</param>
/// <param name="Speedup">The 1-process wall time / this one.</param>
public sealed record ShardScalingRow(int Processes, int Images, double WallSeconds, double ImagesPerSecond, double Speedup);

/// <summary>The costs of one pipeline. Rates are images per second; NaN means not measured.</summary>
public sealed record PipelineBench
{
    public required string Pipeline { get; init; }

    public required string Trainer { get; init; }

    public required string FeatureSet { get; init; }

    public required int FeatureLength { get; init; }

    /// <summary>Images in the featurization sample (decodable ones).</summary>
    public required int FeaturizeSamples { get; init; }

    /// <summary>Featurizer alone on decoded images, one thread.</summary>
    public required double FeaturizeImagesPerSecondOneThread { get; init; }

    /// <summary>Featurizer alone on decoded images, all threads.</summary>
    public required double FeaturizeImagesPerSecondAllThreads { get; init; }

    /// <summary>Threads behind <see cref="FeaturizeImagesPerSecondAllThreads"/> (workers, or ONNX intra-op threads for the CNN).</summary>
    public required int FeaturizeThreads { get; init; }

    /// <summary>Decode from the image source, then featurize, one thread.</summary>
    public required double DecodeFeaturizeImagesPerSecondOneThread { get; init; }

    /// <summary>Decode, then featurize, on every core.</summary>
    public required double DecodeFeaturizeImagesPerSecondAllThreads { get; init; }

    /// <summary>Training images the model was trained on.</summary>
    public required int TrainCount { get; init; }

    /// <summary>Featurization of the training split during training (decode + features, all cores, cache off), seconds.</summary>
    public required double TrainFeaturizeSeconds { get; init; }

    /// <summary>Classifier-head fit, seconds.</summary>
    public required double TrainSeconds { get; init; }

    /// <summary>The whole training call: featurize, fit, evaluate on the test split, save the package; seconds.</summary>
    public required double TrainTotalSeconds { get; init; }

    /// <summary>
    /// Training images per second of a network trained here (images x epochs over the seconds of its training loop, the
    /// epochs' average, as the wing recorded it in the package metadata's <c>trainImagesPerSecond</c>); NaN for a
    /// pipeline whose training is featurization plus an ML.NET head.
    /// </summary>
    public double TrainImagesPerSecond { get; init; } = double.NaN;

    /// <summary>Test accuracy recorded at training (context, not a benchmark); NaN without a test split.</summary>
    public required double TestAccuracy { get; init; }

    /// <summary><see cref="ImageWorkbench.Runtime.Models.ImageClassifier.Load"/> including its warm-up, seconds.</summary>
    public required double ModelLoadSeconds { get; init; }

    public required int PredictSamples { get; init; }

    public required double PredictMillisecondsP50 { get; init; }

    public required double PredictMillisecondsP95 { get; init; }

    public required double BatchImagesPerSecond { get; init; }

    /// <summary>Image files in the <c>predict --out</c> measurement (see <see cref="FilePredictionProbe"/>).</summary>
    public required int FilePredictSamples { get; init; }

    /// <summary>
    /// <c>predict --out preds.csv</c>'s own path over image files on disk (PNG for IDX data, the data set's files
    /// otherwise): read, decode, predict on every core, one CSV row per image; images/s.
    /// </summary>
    public required double FilePredictImagesPerSecond { get; init; }

    public required double AllocatedBytesPerPrediction { get; init; }

    public required long ModelBytes { get; init; }

    /// <summary>The process's peak working set after this pipeline was measured (cumulative over earlier pipelines of the run).</summary>
    public required long PeakWorkingSetBytes { get; init; }
}
