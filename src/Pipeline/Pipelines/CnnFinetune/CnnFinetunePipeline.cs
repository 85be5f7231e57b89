using System.Globalization;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Measuring;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Pipeline.Training.Torch;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Pipelines.CnnFinetune;

/// <summary>
/// The packaged ImageNet ResNet18 fine-tuned here (TorchSharp, LibTorch on the CPU): initialised from the ONNX
/// network's own initializers (<see cref="FinetuneNetwork"/>), its last stage(s) and a new head trained with random
/// flips and shifts, early stopping on a validation split carved from train (never test). The trained weights are
/// written back into the packaged graph (<see cref="ResNet18FineTunedGraph"/>) and saved inside the model package, so
/// prediction runs on ONNX Runtime and needs no TorchSharp or LibTorch.
/// </summary>
public sealed class CnnFinetunePipeline : IPipelineWing
{
    public string Name => "cnn-finetune";

    public IReadOnlyList<string> Aliases { get; } = ["finetune", "cnn-fine-tune"];

    public string DisplayName => "fine-tuned CNN";

    public int ComparisonRank => 3;

    /// <summary>Not used: the network is its own head (trained with Adam); a <c>--trainer</c> is ignored.</summary>
    public TrainerKind DefaultTrainer => TrainerKind.Lbfgs;

    /// <summary>The new head is trained with the network (Adam); <c>train --trainer</c> is refused.</summary>
    public bool TrainsOwnHead => true;

    public IReadOnlyList<string> OwnOptions { get; } = ["input-size", "resize", "epochs", "batch-size", "learning-rate", "patience", "threads", "trained-stages", "no-flip", "max-minutes"];

    /// <summary>
    /// The network's input: <see cref="CnnFinetuneOptions.InputSize"/> square, else 64 for images up to 64 pixels a
    /// side (the MNIST family: 28x28 upscaled) and 224 (the network's own size) for larger ones; one grey plane for
    /// grey data (the network feeds it to all three channels), else RGB; values 0..1.
    /// </summary>
    public static ModelInput InputFor(ImageDataset data, CnnFinetuneOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var small = data.NativeShape is { } shape && Math.Max(shape.Width, shape.Height) <= CnnFinetuneOptions.SmallImageInputSize;
        var size = options.InputSize ?? (small ? CnnFinetuneOptions.SmallImageInputSize : ResNet18Model.NativeInputSize);
        ResNet18Model.ValidateInputSize(size);
        var channels = data.NativeShape is { Channels: 1 } ? 1 : 3;
        return new ModelInput(size, size, channels, (options.Resize ?? CnnPreprocessing.Default.ResizeMode).ToString(), 1f);
    }

    public TrainingResult Train(TrainingRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var own = run.Options.OptionsOf<CnnFinetuneOptions>() ?? new CnnFinetuneOptions();
        return TorchWingTraining.Train(run, Plan(own, run.Data.Classes.Count, InputFor(run.Data, own)));
    }

    internal static TorchWingPlan Plan(CnnFinetuneOptions options, int classes, ModelInput input)
    {
        var size = input.Width;
        return new TorchWingPlan(
            input,
            new TorchFitSettings(options.Epochs, options.BatchSize, options.LearningRate, options.Patience, !options.NoFlip, options.MaxShift ?? Math.Max(1, size / 16), options.MaxMinutes, LinearProbe: true),
            options.Threads ?? CnnFinetuneOptions.DefaultThreads,
            string.Create(CultureInfo.InvariantCulture, $"resnet18-finetune-{size}"),
            string.Create(CultureInfo.InvariantCulture, $"ImageNet ResNet18 ({ResNet18Model.NetworkId}) at {size}x{size}, last {options.TrainedStages} stage(s) and a new head fine-tuned, ONNX"),
            () => FinetuneNetwork.Create(input.Channels, size, classes, options.TrainedStages),
            network => ((FinetuneNetwork)network).Export("ImageWorkbench cnn-finetune"),
            new Dictionary<string, string>
            {
                ["network"] = ResNet18Model.NetworkId,
                ["inputSize"] = size.ToString(CultureInfo.InvariantCulture),
                ["trainedStages"] = options.TrainedStages.ToString(CultureInfo.InvariantCulture),
                ["flip"] = (!options.NoFlip).ToString(CultureInfo.InvariantCulture).ToLowerInvariant(),
            });
    }

    /// <summary>Not measured yet: the network's cost is its ONNX inference, which <c>bench</c> times as prediction latency.</summary>
    public FeaturizeRates MeasureFeaturization(ImageDataset data, ModelMetadata metadata, ProbeSettings probe, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        FeaturizeRates.NotApplicable; // the network is the whole model; bench reports its training images/s from the metadata
}

/// <summary>Options only cnn-finetune reads, in the style of ML.NET's ImageClassificationTrainer.</summary>
public sealed record CnnFinetuneOptions : IPipelineOptions
{
    /// <summary>The input size for images up to this many pixels a side (28x28 is upscaled to it).</summary>
    public const int SmallImageInputSize = 64;

    /// <summary>LibTorch threads when none are asked for: one (more collapsed on a loaded 2-core machine, see <c>CnnScratchOptions.DefaultThreads</c>).</summary>
    public static int DefaultThreads => 1;

    /// <summary>Side of the square input; null: 64 for small images, 224 otherwise (see <see cref="CnnFinetunePipeline.InputFor"/>).</summary>
    public int? InputSize { get; init; }

    /// <summary>How images are fitted to the square; null: the frozen CNN's default (centre crop).</summary>
    public ResizeMode? Resize { get; init; }

    /// <summary>Most passes over the training split (early stopping or <see cref="MaxMinutes"/> may end sooner). Few: the network starts trained.</summary>
    public int Epochs { get; init; } = 3;

    public int BatchSize { get; init; } = 64;

    /// <summary>Adam's initial learning rate; a cosine schedule lowers it to 2 % of that by the last epoch.</summary>
    public double LearningRate { get; init; } = 0.001;

    /// <summary>Epochs without a better validation accuracy before training stops (the best epoch's weights are kept).</summary>
    public int Patience { get; init; } = 2;

    /// <summary>LibTorch intra-op threads; null uses <see cref="DefaultThreads"/>.</summary>
    public int? Threads { get; init; }

    /// <summary>How many of ResNet18's four stages, counted from the last, learn (0: the head only; 4: every convolution).</summary>
    public int TrainedStages { get; init; } = 1;

    /// <summary>No random left-right mirroring (for sets where mirroring changes the class, e.g. digits or text).</summary>
    public bool NoFlip { get; init; }

    /// <summary>Largest random shift in pixels of the input; null: a sixteenth of the input size.</summary>
    public int? MaxShift { get; init; }

    /// <summary>Training-time budget in minutes (see <see cref="TorchFitSettings.MaxMinutes"/>); null: none.</summary>
    public double? MaxMinutes { get; init; }
}
