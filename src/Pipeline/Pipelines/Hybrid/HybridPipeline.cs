using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Measuring;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Pipelines.Hybrid;

/// <summary>
/// The hybrid pipeline: the hand-crafted preset's features and the frozen ResNet18's 512 features of the same image,
/// side by side in one head (<see cref="HybridTraining"/>). The CNN block comes through the feature cache, so after a
/// <c>cnn</c> run on the same images it costs only the hand-crafted extraction. Reads the hand-crafted pipeline's
/// feature set and the CNN pipeline's preprocessing and cache options.
/// </summary>
public sealed class HybridPipeline : IPipelineWing
{
    public string Name => "hybrid";

    public IReadOnlyList<string> Aliases { get; } = [];

    public string DisplayName => "hybrid (hand-crafted + CNN) pipeline";

    public int ComparisonRank => 2;

    /// <summary>L-BFGS on the standardised blocks: each feature scaled to unit variance, so neither block's scale wins.</summary>
    public TrainerKind DefaultTrainer => TrainerKind.Lbfgs;

    public IReadOnlyList<string> OwnOptions { get; } = ["feature-set", "input-size", "resize", "cache-dir", "no-cache", "backbone", "backbone-input", "backbone-output", "backbone-size", "backbone-layout", "backbone-mean", "backbone-std"];

    public TrainingResult Train(TrainingRun run) => HybridTraining.Train(run);

    /// <summary>The CNN's probe: its network is most of the hybrid's featurization cost.</summary>
    public FeaturizeRates MeasureFeaturization(ImageDataset data, ModelMetadata metadata, ProbeSettings probe, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        CnnPipeline.MeasureCnnFeaturization(data, metadata, probe, progress, cancellationToken);
}
