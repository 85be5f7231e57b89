using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Measuring;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Pipeline.Training.Torch;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Pipelines.CnnScratch;

/// <summary>
/// The CNN trained here from random initialisation (TorchSharp, LibTorch on the CPU), for small images: its kernels
/// are learned from the data, where the hand-crafted pipeline's Sobel kernels are made by hand. Early stopping and
/// every other choice look at a validation split carved from train (<see cref="ImageDataset.CarveValidation"/>),
/// never at test. The trained network is exported to ONNX (<see cref="Runtime.Cnn.OnnxClassifierGraph"/>) and saved inside the
/// model package, so prediction runs on ONNX Runtime and needs no TorchSharp or LibTorch.
/// </summary>
public sealed class CnnScratchPipeline : IPipelineWing
{
    public string Name => "cnn-scratch";

    public IReadOnlyList<string> Aliases { get; } = ["scratch"];

    public string DisplayName => "CNN trained from scratch";

    public int ComparisonRank => 2;

    /// <summary>Not used: the network is its own head (trained with Adam); <c>train --trainer</c> is refused (<see cref="TrainsOwnHead"/>).</summary>
    public TrainerKind DefaultTrainer => TrainerKind.Lbfgs;

    public bool TrainsOwnHead => true;

    public IReadOnlyList<string> OwnOptions { get; } = ["architecture", "epochs", "batch-size", "learning-rate", "patience", "threads"];

    /// <summary>The network's input: 28x28 grey for 28x28 grey data (the MNIST family), else 32x32 RGB, stretched; values 0..1.</summary>
    public static ModelInput InputFor(ImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.NativeShape is { Width: 28, Height: 28, Channels: 1 }
            ? new ModelInput(28, 28, 1, nameof(FeatureExtractors.ResizeMode.Stretch), 1f)
            : new ModelInput(32, 32, 3, nameof(FeatureExtractors.ResizeMode.Stretch), 1f);
    }

    public TrainingResult Train(TrainingRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var own = run.Options.OptionsOf<CnnScratchOptions>() ?? new CnnScratchOptions();
        return TorchWingTraining.Train(run, ScratchTrainer.Plan(own, run.Data.Classes.Count, InputFor(run.Data), Describe(own.Architecture)));
    }

    /// <summary>
    /// Nothing to measure: the network is the whole model (no featurizer in front of a head), its cost is in <c>bench</c>'s
    /// prediction figures, and its training speed in the metadata's <c>trainImagesPerSecond</c>. All rates NaN (null in bench.json).
    /// </summary>
    public FeaturizeRates MeasureFeaturization(ImageDataset data, ModelMetadata metadata, ProbeSettings probe, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        FeaturizeRates.NotApplicable;

    private static string Describe(ScratchArchitecture architecture) => architecture switch
    {
        ScratchArchitecture.LeNet5 => "LeNet-5 (conv 5x5 x6, pool, conv 5x5 x16, pool, dense 120, 84), trained from scratch, ONNX",
        _ => "3 x (conv 3x3, batch norm, ReLU, max pool) with 32/64/128 channels, dense 128, trained from scratch, ONNX",
    };
}

/// <summary>Options only cnn-scratch reads, in the style of ML.NET's ImageClassificationTrainer.</summary>
public sealed record CnnScratchOptions : IPipelineOptions
{
    /// <summary>
    /// LibTorch threads when none are asked for: one. Measured on the 2-core machine while other builds ran (load
    /// average about 30), 2 epochs on the embedded set: 1 thread 207-263 training images/s, 2 threads 35-51 img/s
    /// (LibTorch's OpenMP threads spin and fight for a shared core; ENVIRONMENT.md saw the same, 4,186 vs 228).
    /// On an idle machine <c>--threads 2</c> may be faster.
    /// </summary>
    public static int DefaultThreads => 1;

    public ScratchArchitecture Architecture { get; init; } = ScratchArchitecture.Small;

    /// <summary>Most passes over the training split (early stopping may end sooner).</summary>
    public int Epochs { get; init; } = 12;

    public int BatchSize { get; init; } = 128;

    /// <summary>Adam's initial learning rate; a cosine schedule lowers it to 2 % of that by the last epoch.</summary>
    public double LearningRate { get; init; } = 0.002;

    /// <summary>Epochs without a better validation accuracy before training stops (the best epoch's weights are kept).</summary>
    public int Patience { get; init; } = 4;

    /// <summary>LibTorch intra-op threads; null uses <see cref="DefaultThreads"/>.</summary>
    public int? Threads { get; init; }
}
