using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Training;

/// <summary>What a training run produced: the model, its metadata and (when asked) its test-set evaluation.</summary>
public sealed record TrainingResult(ITransformer Model, DataViewSchema InputSchema, ModelMetadata Metadata, ClassificationMetrics? Test);

/// <summary>
/// The one entry point for training any pipeline: the options' wing featurizes the training split, then
/// <see cref="FitHead"/> fits the head, evaluates the saved chain on the test split and describes the result in
/// <see cref="ModelMetadata"/>.
/// </summary>
public static class ModelTrainer
{
    /// <summary>Trains with a fresh <see cref="MLContext"/> seeded from the options and writes the package atomically to <paramref name="outputPath"/>.</summary>
    public static TrainingResult TrainAndSave(ImageDataset data, TrainingOptions options, string outputPath, DataWarnings warnings, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var ml = new MLContext(options.Seed);
        var result = Train(ml, data, options, warnings, progress, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        SaveModel(ml, outputPath, result);
        return result;
    }

    /// <summary>The saved chain: the wing's featurizer, then the head. (One place, so the model format changes here only.)</summary>
    private static ITransformer SavedChain(ITransformer featurizer, ITransformer head) => featurizer.Append(head);

    /// <summary>Writes the package atomically. (One place, with <see cref="SavedChain"/>, that knows the saved model format.)</summary>
    /// <remarks>Saved as a standard ML.NET model: image bytes in (decoded inside the graph), class names out.</remarks>
    internal static void SaveModel(MLContext ml, string outputPath, TrainingResult result)
    {
        var (model, inputSchema) = ImageModel.FromPixelsModel(ml, result.Metadata.Input, result.Model);
        ModelPackage.Save(ml, outputPath, result.Metadata, model, inputSchema);
    }

    public static TrainingResult Train(MLContext ml, ImageDataset data, TrainingOptions options, DataWarnings warnings, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Pipeline);
        ModelComponents.Register(ml);
        var trainer = options.Trainer ?? options.Pipeline.DefaultTrainerFor(data);
        return options.Pipeline.Train(new TrainingRun(ml, data, options, trainer, warnings, progress, cancellationToken));
    }

    /// <summary>
    /// Fits the head on a wing's featurized rows, joins it to the wing's saved featurizer and evaluates on the test
    /// split: the joined chain by default, or the head alone through <see cref="FeaturizedTrainingSet.EvaluateHead"/>,
    /// which then runs before <see cref="FeaturizedTrainingSet.CreateSavedFeaturizer"/> is called (the CNN frees its
    /// fast engine before making the saved one).
    /// </summary>
    public static TrainingResult FitHead(TrainingRun run, FeaturizedTrainingSet set)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(set);
        var (ml, data, options, trainer, warnings, progress, cancellationToken) = run;
        var features = set.Features;
        var (trainCount, classesSeen) = CountRowsAndClasses(features);
        if (classesSeen < 2)
        {
            throw new DatasetException($"{data.Location}: the training split has readable images of {classesSeen} class(es); at least two are needed");
        }

        progress?.Report(new TrainingProgress($"training {Trainers.Name(trainer)}", 0, 1, 0));
        var stopwatch = Stopwatch.StartNew();
        // Class names on the label, so the saved model's Score slots and PredictedLabel carry them.
        var head = CancellableFit.Fit(ml, set.Head ?? Trainers.CreateHead(ml, trainer, options.MaxIterations, trainCount, set.FeatureLength), ClassNames.Attach(features, Trainers.LabelColumn, data.Classes), cancellationToken);
        var trainSeconds = set.HeadChoiceSeconds + stopwatch.Elapsed.TotalSeconds;
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report(new TrainingProgress($"training {Trainers.Name(trainer)}", 1, 1, 0));

        var (trainLabels, trainScores, _) = ModelScoring.Collect(head.Transform(features), cancellationToken);
        var trainAccuracy = ClassificationMetrics.Compute(data.Classes, trainLabels, trainScores).Accuracy;

        var evaluate = options.EvaluateOnTest && data.Test.Count > 0;
        ClassificationMetrics? test = evaluate && set.EvaluateHead is not null ? set.EvaluateHead(head) : null;
        var model = SavedChain(set.CreateSavedFeaturizer(), head);
        if (evaluate && set.EvaluateHead is null)
        {
            test = Evaluator.Evaluate(ml, model, set.Input, data.Classes, data.Test, warnings, progress, cancellationToken);
        }

        if (evaluate)
        {
            // Unreadable test images count too: with a threshold of 0 a run with any bad image must fail.
            warnings.ThrowIfOverThreshold(data.Train.Count + data.Test.Count, options.MaxBadImageFraction);
        }

        var metadata = Describe(run, Trainers.Name(trainer), set.Input, set.FeatureSet, set.FeatureSetDescription, set.FeatureLength, set.Extra, new TrainingSummary
        {
            TrainCount = trainCount,
            SkippedImages = warnings.SkippedCount,
            FeaturizeSeconds = set.FeaturizeSeconds,
            TrainSeconds = trainSeconds,
            TrainAccuracy = trainAccuracy,
            TestAccuracy = test?.Accuracy,
            TestCount = test?.Count,
        });

        return new TrainingResult(model, set.PixelsSchema, metadata, test);
    }

    /// <summary>
    /// The metadata of a package trained by <paramref name="run"/>: what every wing records, whether it fits an ML.NET
    /// head (<see cref="FitHead"/>) or trains its whole network itself (cnn-scratch).
    /// </summary>
    public static ModelMetadata Describe(TrainingRun run, string trainer, ModelInput input, string featureSet, string featureSetDescription, int featureLength, IReadOnlyDictionary<string, string> extra, TrainingSummary training)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new ModelMetadata
        {
            PipelineKind = run.Options.Pipeline.Name,
            FeatureSet = featureSet,
            FeatureSetDescription = featureSetDescription,
            FeatureLength = featureLength,
            Classes = run.Data.Classes,
            Input = input,
            Trainer = trainer,
            Seed = run.Options.Seed,
            Dataset = run.Data.Name,
            Training = training,
            LibraryVersions = LibraryVersions.Current(),
            CreatedUtc = DateTimeOffset.UtcNow,
            Extra = extra,
            TrainingImages = TrainingImageProfile.Measure([.. run.Data.Train.Select(i => i.Source)], run.CancellationToken),
        };
    }

    /// <summary>Rows and distinct labels, counted by reading the label column (a data view's row count may be unknown).</summary>
    private static (int Rows, int Classes) CountRowsAndClasses(IDataView features)
    {
        var seen = new HashSet<uint>();
        var rows = 0;
        var column = features.Schema[Trainers.LabelColumn];
        using var cursor = features.GetRowCursor([column]);
        var get = cursor.GetGetter<uint>(column);
        uint label = 0;
        while (cursor.MoveNext())
        {
            get(ref label);
            seen.Add(label);
            rows++;
        }

        return (rows, seen.Count);
    }
}

/// <summary>A featurized training row.</summary>
public sealed class FeatureRow
{
    public float[] Features { get; set; } = [];

    /// <summary>Class index, 0-based.</summary>
    public uint Label { get; set; }

    /// <summary>Index into the image list the row came from.</summary>
    public int Index { get; set; }
}
