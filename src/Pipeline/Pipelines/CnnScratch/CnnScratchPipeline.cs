using System.Diagnostics;
using System.Globalization;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Measuring;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.HandCrafted;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;

namespace ImageWorkbench.Pipeline.Pipelines.CnnScratch;

/// <summary>
/// The CNN trained here from random initialisation (TorchSharp, LibTorch on the CPU), for small images: its kernels
/// are learned from the data, where the hand-crafted pipeline's Sobel kernels are made by hand. Early stopping and
/// every other choice look at a validation split carved from train (<see cref="ImageDataset.CarveValidation"/>),
/// never at test. The trained network is exported to ONNX (<see cref="OnnxClassifierGraph"/>) and saved inside the
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
        var (ml, data, options, _, warnings, progress, cancellationToken) = run;
        var own = options.OptionsOf<CnnScratchOptions>() ?? new CnnScratchOptions();
        var input = InputFor(data);
        var split = data.CarveValidation(options.Seed, warnings);

        var stopwatch = Stopwatch.StartNew();
        progress?.Report(new TrainingProgress("decoding images", 0, 1, 0));
        var train = DecodedImages.Decode(split.Train, input, warnings, cancellationToken);
        var validation = DecodedImages.Decode(split.Test, input, warnings, cancellationToken);
        warnings.ThrowIfOverThreshold(data.Train.Count, options.MaxBadImageFraction);
        if (train.Labels.Distinct().Count() < 2)
        {
            throw new DatasetException($"{data.Location}: the training split has readable images of fewer than two classes; at least two are needed");
        }

        var decodeSeconds = stopwatch.Elapsed.TotalSeconds;
        stopwatch.Restart();
        var (network, epochs, bestEpoch) = ScratchTrainer.Train(own, options.Seed, data.Classes.Count, input, train, validation, progress, cancellationToken);
        using (network)
        {
            var trainSeconds = stopwatch.Elapsed.TotalSeconds;
            var trainAccuracy = ScratchTrainer.Accuracy(network, train, cancellationToken);
            var onnx = OnnxClassifierGraph.Build(input.Channels, input.Height, input.Width, network.ExportLayers(), data.Classes.Count, "ImageWorkbench cnn-scratch");
            var pixels = ml.Data.LoadFromEnumerable(Array.Empty<PixelsRow>(), ModelInputPixels.PixelsSchema(input));
            var model = OnnxClassifierScoring.Create(ml, onnx, data.Classes, pixels);

            ClassificationMetrics? test = null;
            if (options.EvaluateOnTest && data.Test.Count > 0)
            {
                test = Evaluator.Evaluate(ml, model, input, data.Classes, data.Test, warnings, progress, cancellationToken);
                warnings.ThrowIfOverThreshold(data.Train.Count + data.Test.Count, options.MaxBadImageFraction);
            }

            var architecture = Describe(own.Architecture);
            var best = epochs[bestEpoch - 1];
            var extra = new Dictionary<string, string>
            {
                ["architecture"] = own.Architecture.ToString().ToLowerInvariant(),
                ["parameters"] = network.ParameterCount.ToString(CultureInfo.InvariantCulture),
                ["epochs"] = epochs.Count.ToString(CultureInfo.InvariantCulture),
                ["bestEpoch"] = bestEpoch.ToString(CultureInfo.InvariantCulture),
                ["validationAccuracy"] = best.ValidationAccuracy.ToString("0.0000", CultureInfo.InvariantCulture),
                ["validationCount"] = validation.Count.ToString(CultureInfo.InvariantCulture),
                ["batchSize"] = own.BatchSize.ToString(CultureInfo.InvariantCulture),
                ["learningRate"] = own.LearningRate.ToString(CultureInfo.InvariantCulture),
                ["threads"] = (own.Threads ?? CnnScratchOptions.DefaultThreads).ToString(CultureInfo.InvariantCulture),
                ["trainImagesPerSecond"] = epochs.Average(e => e.ImagesPerSecond).ToString("0", CultureInfo.InvariantCulture),
                ["epochLog"] = string.Join("; ", epochs.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Epoch}: loss {e.TrainLoss:0.0000} val {e.ValidationAccuracy:0.0000}"))),
            };
            var metadata = ModelTrainer.Describe(run, "adam", input, "cnn-scratch-" + extra["architecture"], architecture, data.Classes.Count, extra, new TrainingSummary
            {
                TrainCount = train.Count,
                SkippedImages = warnings.SkippedCount,
                FeaturizeSeconds = decodeSeconds,
                TrainSeconds = trainSeconds,
                TrainAccuracy = trainAccuracy,
                TestAccuracy = test?.Accuracy,
                TestCount = test?.Count,
            });
            return new TrainingResult(model, pixels.Schema, metadata, test);
        }
    }

    /// <summary>
    /// Nothing to measure: the network is the whole model (no featurizer in front of a head), its cost is in <c>bench</c>'s
    /// prediction figures, and its training speed in the metadata's <c>trainImagesPerSecond</c>. All rates NaN (null in bench.json).
    /// </summary>
    public FeaturizeRates MeasureFeaturization(ImageDataset data, ModelMetadata metadata, ProbeSettings probe, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        new(0, double.NaN, double.NaN, 0, double.NaN, double.NaN);

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
