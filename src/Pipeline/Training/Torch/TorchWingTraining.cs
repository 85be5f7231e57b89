using System.Diagnostics;
using System.Globalization;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.HandCrafted;
using ImageWorkbench.Runtime.Models;
using TorchSharp;

namespace ImageWorkbench.Pipeline.Training.Torch;

/// <summary>What a wing that trains a TorchSharp network tells <see cref="TorchWingTraining.Train"/>.</summary>
/// <param name="Input">The network's input, as prediction decodes images for it.</param>
/// <param name="Fit">Epochs, batch size, learning rate, patience, augmentation.</param>
/// <param name="Threads">LibTorch intra-op threads.</param>
/// <param name="FeatureSet">The metadata's feature-set name, e.g. <c>cnn-scratch-small</c>.</param>
/// <param name="Description">One line on the network, for the metadata and reports.</param>
/// <param name="Create">Builds the network (the torch seed is set before).</param>
/// <param name="Export">The trained network as an ONNX classifier (<see cref="OnnxClassifierGraph"/>'s contract).</param>
/// <param name="Extra">The wing's own facts for the metadata (the shared ones are added).</param>
internal sealed record TorchWingPlan(
    ModelInput Input, TorchFitSettings Fit, int Threads, string FeatureSet, string Description,
    Func<ITorchClassifier> Create, Func<ITorchClassifier, byte[]> Export, IReadOnlyDictionary<string, string> Extra);

/// <summary>
/// The training run of a wing whose model is a network trained here with TorchSharp (cnn-scratch, cnn-finetune):
/// a validation split carved from train (<see cref="ImageDataset.CarveValidation"/>) for early stopping, never test;
/// decoding, <see cref="TorchTrainer.Fit"/>, the export to ONNX and the saved model's ONNX Runtime chain
/// (<see cref="OnnxClassifierScoring"/>), the test evaluation, and the metadata every such wing records.
/// </summary>
internal static class TorchWingTraining
{
    /// <summary>Training images the (sanity) train accuracy is measured on, evenly spaced: a fine-tuned ResNet18 takes minutes for 54,000.</summary>
    public const int TrainAccuracySample = 5000;

    public static TrainingResult Train(TrainingRun run, TorchWingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        var (ml, data, options, _, warnings, progress, cancellationToken) = run;
        var input = plan.Input;
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
        var (network, epochs, bestEpoch) = Fit(plan, options.Seed, train, validation, progress, cancellationToken);
        using (network)
        {
            var trainSeconds = stopwatch.Elapsed.TotalSeconds;
            var trainAccuracy = TorchTrainer.Accuracy(network, train.Sample(TrainAccuracySample), cancellationToken);
            var onnx = plan.Export(network);
            var pixels = ml.Data.LoadFromEnumerable(Array.Empty<PixelsRow>(), ModelInputPixels.PixelsSchema(input));
            var model = OnnxClassifierScoring.Create(ml, onnx, data.Classes, pixels);

            ClassificationMetrics? test = null;
            if (options.EvaluateOnTest && data.Test.Count > 0)
            {
                test = Evaluator.Evaluate(ml, model, input, data.Classes, data.Test, warnings, progress, cancellationToken);
                warnings.ThrowIfOverThreshold(data.Train.Count + data.Test.Count, options.MaxBadImageFraction);
            }

            var best = epochs.Single(e => e.Epoch == bestEpoch); // epoch 0: the linear probe (LP-FT)
            var trained = epochs.Where(e => e.Epoch > 0).DefaultIfEmpty(best).ToList();
            var extra = new Dictionary<string, string>(plan.Extra)
            {
                ["parameters"] = network.Module.parameters().Sum(p => p.numel()).ToString(CultureInfo.InvariantCulture),
                ["trainedParameters"] = network.TrainableParameters().Sum(p => p.numel()).ToString(CultureInfo.InvariantCulture),
                ["epochs"] = epochs.Count(e => e.Epoch > 0).ToString(CultureInfo.InvariantCulture),
                ["bestEpoch"] = bestEpoch.ToString(CultureInfo.InvariantCulture),
                ["validationAccuracy"] = best.ValidationAccuracy.ToString("0.0000", CultureInfo.InvariantCulture),
                ["validationCount"] = validation.Count.ToString(CultureInfo.InvariantCulture),
                ["batchSize"] = plan.Fit.BatchSize.ToString(CultureInfo.InvariantCulture),
                ["learningRate"] = plan.Fit.LearningRate.ToString(CultureInfo.InvariantCulture),
                ["threads"] = plan.Threads.ToString(CultureInfo.InvariantCulture),
                ["trainImagesPerSecond"] = trained.Average(e => e.ImagesPerSecond).ToString("0", CultureInfo.InvariantCulture),
                ["epochLog"] = string.Join("; ", epochs.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Epoch}: loss {e.TrainLoss:0.0000} val {e.ValidationAccuracy:0.0000}"))),
            };
            var metadata = ModelTrainer.Describe(run, "adam", input, plan.FeatureSet, plan.Description, data.Classes.Count, extra, new TrainingSummary
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

    /// <summary>Sets the threads and the torch seed, builds the network and trains it; the caller owns the network.</summary>
    public static (ITorchClassifier Network, IReadOnlyList<EpochSummary> Epochs, int BestEpoch) Fit(
        TorchWingPlan plan, int seed, DecodedImages train, DecodedImages validation, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        torch.set_num_threads(plan.Threads);
        torch.manual_seed(seed);
        var network = plan.Create();
        try
        {
            var epochs = TorchTrainer.Fit(network, plan.Fit, seed, train, validation, progress, cancellationToken, out var best);
            return (network, epochs, best);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}
