using System.Globalization;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Measuring;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;

namespace ImageWorkbench.Pipeline.Pipelines.Cnn;

/// <summary>
/// The CNN pipeline: frozen ImageNet ResNet18 (ONNX) pooled features through the fast engine and the feature cache
/// (<see cref="CnnTraining"/>), then a tree head. Reads <see cref="CnnPipelineOptions"/>,
/// <see cref="TrainingOptions.UseFeatureCache"/> and <see cref="TrainingOptions.CacheDirectory"/>.
/// </summary>
public sealed class CnnPipeline : IPipelineWing, IStoredFeaturesWing, IReusableFeatures
{
    public string Name => "cnn";

    public IReadOnlyList<string> Aliases { get; } = [];

    public string DisplayName => "CNN";

    public int ComparisonRank => 1;

    /// <summary>L-BFGS: the head on most data; LightGBM only where it pays for its training time (<see cref="DefaultTrainerFor"/>).</summary>
    public TrainerKind DefaultTrainer => TrainerKind.Lbfgs;

    /// <summary>Training images from which a grey data set's CNN head is LightGBM (<see cref="DefaultTrainerFor"/>).</summary>
    public const int LightGbmFromTrainImages = 3_000;

    /// <summary>
    /// LightGBM for grey images (<see cref="ImageDataset.NativeShape"/> of one channel) with at least
    /// <see cref="LightGbmFromTrainImages"/> training images, L-BFGS otherwise. Measured with <c>train --pipeline cnn
    /// --trainer auto</c> (validation split carved from train, never test) and each head's training time on the whole
    /// training split, 2026-12-02, loaded machine (load 12-20), validation accuracy L-BFGS / LightGBM, head seconds:
    /// <list type="bullet">
    /// <item>caltech101-mini (colour photos, 192 fitted / 48 held out): 1.000 / 0.917, 2.4 s / 6.9 s.</item>
    /// <item>caltech101-dev (colour photos, 452 / 111): 0.991 / 0.982, 3.3 s / 15.9 s; five splits (seeds 42-46) 0.998 / 0.982.</item>
    /// <item>A held-back 32x32 colour set (5,000 images): L-BFGS 5 s, LightGBM 398 s for +0.5 points on test.</item>
    /// <item>fashion-mnist-mini (grey, 800 / 200, measured earlier the same way): 0.810 / 0.805, a tie at about 9x the time.</item>
    /// <item>Fashion-MNIST 200 per class (grey, 1,600 / 400): 0.853 / 0.828, 1.1 s / 38.6 s: L-BFGS.</item>
    /// <item>Fashion-MNIST 300 per class (2,400 / 600): 0.827 / 0.853, 2.5 s / 41.6 s: LightGBM from here.</item>
    /// <item>Fashion-MNIST 500 per class (4,000 / 1,000): 0.848 / 0.859, LightGBM 78.7 s on the 5,000.</item>
    /// <item>Full Fashion-MNIST (48,000 / 12,000): 0.893 / 0.903, LightGBM 304 s on the 60,000 (test 0.9002), beside
    /// about 19 minutes of CNN featurization.</item>
    /// </list>
    /// So on photos ImageNet features are close to linearly separable and a linear head is as good and several times
    /// faster; on grey clothing the features are further from ImageNet's domain and trees add one to three points once
    /// there are a few thousand images to grow them on (at 2,000 the split went the other way, so the line is at 3,000).
    /// </summary>
    public string DefaultTrainerRule => string.Create(CultureInfo.InvariantCulture, $"`{Trainers.Name(DefaultTrainer)}`; `{Trainers.Name(TrainerKind.LightGbm)}` for grey images from {LightGbmFromTrainImages:N0} training images");

    public TrainerKind DefaultTrainerFor(ImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.NativeShape is { Channels: 1 } && data.Train.Count >= LightGbmFromTrainImages ? TrainerKind.LightGbm : TrainerKind.Lbfgs;
    }

    /// <summary>The command-line spellings of <see cref="CnnPipelineOptions.Preprocessing"/> and the feature cache settings.</summary>
    public IReadOnlyList<string> OwnOptions { get; } = ["input-size", "resize", "backbone-precision", "cache-dir", "no-cache", "device", "backbone", "backbone-input", "backbone-output", "backbone-size", "backbone-layout", "backbone-mean", "backbone-std"];

    public TrainingResult Train(TrainingRun run) => CnnTraining.Train(run);

    public StoredFeaturizer DescribeFeaturizer(ImageDataset data, TrainingOptions options) => CnnStoredFeatures.Describe(options);

    public IFeatureComputer OpenFeaturizer(StoredFeaturizer featurizer, TrainingOptions options) => new CnnStoredFeatures(featurizer, options);

    public ITransformer CreateSavedFeaturizer(MLContext ml, StoredFeaturizer featurizer, IDataView pixels) => CnnStoredFeatures.CreateSavedFeaturizer(ml, featurizer, pixels);

    public IReadOnlyList<float[]?> Featurize(FeatureRequest request) => CnnTraining.FeaturizeEach(request);

    public FeaturizeRates MeasureFeaturization(ImageDataset data, ModelMetadata metadata, ProbeSettings probe, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        MeasureCnnFeaturization(data, metadata, probe, progress, cancellationToken);

    /// <summary>The ResNet18 featurization rates of a package whose input is the network's (for wings built on this one).</summary>
    public static FeaturizeRates MeasureCnnFeaturization(ImageDataset data, ModelMetadata metadata, ProbeSettings probe, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        CnnCostProbe.Measure(data, metadata, probe, progress, cancellationToken);
}

/// <summary>Options only the CNN pipeline reads.</summary>
public sealed record CnnPipelineOptions : IPipelineOptions
{
    /// <summary>Network input size, resize mode and channel order; null uses <see cref="CnnPreprocessing.Default"/>.</summary>
    public CnnPreprocessing? Preprocessing { get; init; }

    /// <summary>Where the network runs while featurizing: the CPU (default) or a CUDA GPU.</summary>
    public CnnDevice Device { get; init; } = CnnDevice.Cpu;

    /// <summary>Any ONNX network instead of the packaged ResNet18 (<c>--backbone</c>); its rewritten graph is saved in the model.</summary>
    public BackboneOptions? Backbone { get; init; }
}
