using ImageWorkbench.Pipeline.Evaluation;

namespace ImageWorkbench.Pipeline.Results;

/// <summary>The data set a comparison ran on.</summary>
public sealed record DatasetSummary(string Name, string Location, IReadOnlyList<string> Classes, int TrainCount, int TestCount);

/// <summary>Quality and cost of one trained pipeline on the shared test split.</summary>
/// <param name="Pipeline">The pipeline's name, as on the command line (e.g. <c>handcrafted</c>, <c>cnn</c>).</param>
/// <param name="Trainer">ML.NET trainer name.</param>
/// <param name="FeatureSet">Feature set (preset name or CNN preprocessing id).</param>
/// <param name="Metrics">Test-set metrics, including every scored test image.</param>
/// <param name="FeaturizeImagesPerSecond">Training-set featurization speed (decode + features), all cores.</param>
/// <param name="TrainSeconds">Head training time.</param>
/// <param name="PredictMillisecondsP50">Single-image prediction latency through the saved model, one thread, after warm-up.</param>
/// <param name="PredictMillisecondsP95">95th percentile of the same.</param>
/// <param name="BatchImagesPerSecond">Throughput predicting a batch on all cores.</param>
/// <param name="ModelBytes">Size of the saved model package.</param>
/// <param name="PeakWorkingSetBytes">Peak working set of the process after this pipeline ran.</param>
/// <param name="ModelPath">Where the package was written (or read from).</param>
/// <param name="FeatureCacheHits">Training images whose CNN features came from the feature cache (their featurization was not timed again).</param>
/// <param name="DisplayName">
/// How prose names the pipeline after "the" (e.g. <c>CNN</c>, <c>hand-crafted pipeline</c>); supplied by the pipeline itself so the
/// report never has to recognise a pipeline by its name. Empty: "the <paramref name="Pipeline"/> pipeline".
/// </param>
/// <param name="ComparisonRank">
/// Orders a pair in the report's "where they differ": the run with the higher rank is B (differences read "B minus A", so the
/// pipeline others are measured against ranks highest, e.g. the CNN). Equal ranks keep run order. Supplied by the pipeline.
/// </param>
/// <param name="TrainAccuracy">
/// Accuracy of the fitted head on the training features it was fitted on (no second featurization); beside the test accuracy
/// it shows over-fitting. For a compared package, the figure stored in its metadata. NaN when not known.
/// </param>
public sealed record PipelineRun(
    string Pipeline,
    string Trainer,
    string FeatureSet,
    ClassificationMetrics Metrics,
    double FeaturizeImagesPerSecond,
    double TrainSeconds,
    double PredictMillisecondsP50,
    double PredictMillisecondsP95,
    double BatchImagesPerSecond,
    long ModelBytes,
    long PeakWorkingSetBytes,
    string ModelPath,
    int FeatureCacheHits = 0,
    string DisplayName = "",
    int ComparisonRank = 0,
    double TrainAccuracy = double.NaN)
{
    /// <summary>
    /// The first convolution of the package's network (learned by cnn-scratch, or the frozen ResNet18's conv1) and the input
    /// it sees, for the report's learned-kernels section; null for a package without one. Not part of report.json.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public FirstLayer? FirstLayer { get; init; }
}

/// <summary>A network's first-layer kernels and the model input its images are decoded to.</summary>
public sealed record FirstLayer(Runtime.Cnn.ConvKernels Kernels, Runtime.Models.ModelInput Input);

/// <summary>Everything one <c>compare</c> run measured, ready for the report writers.</summary>
/// <param name="Dataset">What was compared on.</param>
/// <param name="Results">One entry per pipeline, in the order run.</param>
/// <param name="Command">The command line that produced it.</param>
/// <param name="Machine">A one-line description of the machine (cores, memory, OS, .NET).</param>
/// <param name="CreatedUtc">When it ran.</param>
/// <param name="Seed">The split / training seed.</param>
/// <param name="RunSeconds">Wall time of the whole comparison: every pipeline's featurization, training, evaluation and timing (loading the data set and writing the report not included); NaN when not measured.</param>
/// <param name="PeakWorkingSetBytes">Peak working set of the process by the end of the comparison; 0 when not measured.</param>
public sealed record ComparisonResult(
    DatasetSummary Dataset,
    IReadOnlyList<PipelineRun> Results,
    string Command,
    string Machine,
    DateTimeOffset CreatedUtc,
    int Seed,
    double RunSeconds = double.NaN,
    long PeakWorkingSetBytes = 0)
{
    /// <summary>Trainer choice on validation, learning curves and folds, when the comparison ran them.</summary>
    public ComparisonStudies Studies { get; init; } = ComparisonStudies.None;
}
