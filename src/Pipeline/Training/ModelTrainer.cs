using System.Diagnostics;
using ImageWorkbench.FeatureExtractors;
using Microsoft.ML;
using Microsoft.ML.Data;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.HandCrafted;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Training;

/// <summary>What a training run produced: the model, its metadata and (when asked) its test-set evaluation.</summary>
public sealed record TrainingResult(ITransformer Model, DataViewSchema InputSchema, ModelMetadata Metadata, ClassificationMetrics? Test);

/// <summary>
/// The one entry point for training either pipeline: featurize the training split, fit the head, evaluate the
/// whole saved chain on the test split, and describe the result in <see cref="ModelMetadata"/>.
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

        // Saved as a standard ML.NET model: image bytes in (decoded inside the graph), class names out.
        var (model, inputSchema) = ImageModel.FromPixelsModel(ml, result.Metadata.Input, result.Model);
        ModelPackage.Save(ml, outputPath, result.Metadata, model, inputSchema);
        return result;
    }

    public static TrainingResult Train(MLContext ml, ImageDataset data, TrainingOptions options, DataWarnings warnings, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ModelComponents.Register(ml);
        var trainer = options.Trainer ?? Trainers.DefaultFor(options.Pipeline);
        return options.Pipeline switch
        {
            PipelineKind.HandCrafted => TrainHandCrafted(ml, data, options, trainer, warnings, progress, cancellationToken),
            PipelineKind.Cnn => CnnTraining.Train(ml, data, options, trainer, warnings, progress, cancellationToken),
            _ => throw new WorkbenchException($"pipeline {options.Pipeline} is not available in this build"),
        };
    }

    /// <summary>The preset that fits the data: 28x28 grey images use grey28-v1, everything else rgb64-v1.</summary>
    public static string DefaultFeatureSet(ImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.NativeShape is { Width: 28, Height: 28, Channels: 1 } ? FeatureSetPresets.Grey28V1Name : FeatureSetPresets.Rgb64V1Name;
    }

    private static TrainingResult TrainHandCrafted(MLContext ml, ImageDataset data, TrainingOptions options, TrainerKind trainer, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var featureSetName = options.FeatureSet ?? DefaultFeatureSet(data);
        var definition = FeatureSetPresets.Get(featureSetName);
        var input = new ModelInput(definition.InputShape.Width, definition.InputShape.Height, definition.InputShape.Channels, nameof(ResizeMode.Stretch), 1f);

        var trainView = ImageRows.Create(ml, data.Train, input, data.Classes.Count, warnings, cancellationToken);
        var featurizer = HandCraftedMapping.CreateEstimator(ml, featureSetName).Fit(trainView);

        var stopwatch = Stopwatch.StartNew();
        var features = Materialize(ml, featurizer.Transform(trainView), definition.OutputLength, data.Train.Count, progress, cancellationToken);
        var featurizeSeconds = stopwatch.Elapsed.TotalSeconds;
        warnings.ThrowIfOverThreshold(data.Train.Count, options.MaxBadImageFraction);

        return FitHead(ml, data, options, trainer, warnings, () => featurizer, features, trainView.Schema, input, featureSetName, definition.Describe(), definition.OutputLength, featurizeSeconds, new Dictionary<string, string>(), progress, cancellationToken);
    }

    /// <summary>
    /// Fits the head on featurized rows, joins it to the featurizer and evaluates on the test split: the joined chain
    /// by default, or the head alone through <paramref name="evaluateTest"/>, which then runs before
    /// <paramref name="createFeaturizer"/> is called (the CNN frees its fast engine before making the saved one).
    /// </summary>
    internal static TrainingResult FitHead(MLContext ml, ImageDataset data, TrainingOptions options, TrainerKind trainer, DataWarnings warnings, Func<ITransformer> createFeaturizer, IDataView features, DataViewSchema pixelsSchema, ModelInput input, string featureSet, string featureSetDescription, int featureLength, double featurizeSeconds, IReadOnlyDictionary<string, string> extra, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken, Func<ITransformer, ClassificationMetrics>? evaluateTest = null)
    {
        var (trainCount, classesSeen) = CountRowsAndClasses(features);
        if (classesSeen < 2)
        {
            throw new DatasetException($"{data.Location}: the training split has readable images of {classesSeen} class(es); at least two are needed");
        }

        progress?.Report(new TrainingProgress($"training {Trainers.Name(trainer)}", 0, 1, 0));
        var stopwatch = Stopwatch.StartNew();
        // Class names on the label, so the saved model's Score slots and PredictedLabel carry them.
        var head = CancellableFit.Fit(ml, Trainers.CreateHead(ml, trainer, options.MaxIterations, trainCount), ClassNames.Attach(features, Trainers.LabelColumn, data.Classes), cancellationToken);
        var trainSeconds = stopwatch.Elapsed.TotalSeconds;
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report(new TrainingProgress($"training {Trainers.Name(trainer)}", 1, 1, 0));

        var (trainLabels, trainScores, _) = ModelScoring.Collect(head.Transform(features), cancellationToken);
        var trainAccuracy = ClassificationMetrics.Compute(data.Classes, trainLabels, trainScores).Accuracy;

        var evaluate = options.EvaluateOnTest && data.Test.Count > 0;
        ClassificationMetrics? test = evaluate && evaluateTest is not null ? evaluateTest(head) : null;
        var model = createFeaturizer().Append(head);
        if (evaluate && evaluateTest is null)
        {
            test = Evaluator.Evaluate(ml, model, input, data.Classes, data.Test, warnings, progress, cancellationToken);
        }

        if (evaluate)
        {
            // Unreadable test images count too: with a threshold of 0 a run with any bad image must fail.
            warnings.ThrowIfOverThreshold(data.Train.Count + data.Test.Count, options.MaxBadImageFraction);
        }

        var metadata = new ModelMetadata
        {
            PipelineKind = options.Pipeline == PipelineKind.Cnn ? "cnn" : "handcrafted",
            FeatureSet = featureSet,
            FeatureSetDescription = featureSetDescription,
            FeatureLength = featureLength,
            Classes = data.Classes,
            Input = input,
            Trainer = Trainers.Name(trainer),
            Seed = options.Seed,
            Dataset = data.Name,
            Training = new TrainingSummary
            {
                TrainCount = trainCount,
                SkippedImages = warnings.SkippedCount,
                FeaturizeSeconds = featurizeSeconds,
                TrainSeconds = trainSeconds,
                TrainAccuracy = trainAccuracy,
                TestAccuracy = test?.Accuracy,
                TestCount = test?.Count,
            },
            LibraryVersions = LibraryVersions.Current(),
            CreatedUtc = DateTimeOffset.UtcNow,
            Extra = extra,
        };

        return new TrainingResult(model, pixelsSchema, metadata, test);
    }

    /// <summary>
    /// Runs the featurizer over every training row once and keeps the features in memory, so the trainer's many
    /// passes do not decode and featurize again. Reports progress with images/s.
    /// </summary>
    private static IDataView Materialize(MLContext ml, IDataView featurized, int featureLength, int expected, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var rows = new FeatureMatrix(featureLength, expected);
        var featuresColumn = featurized.Schema[Trainers.FeaturesColumn];
        var labelColumn = featurized.Schema[Trainers.LabelColumn];
        var indexColumn = featurized.Schema[nameof(LabeledPixels.Index)];
        var labelType = (KeyDataViewType)labelColumn.Type;
        using (var cursor = featurized.GetRowCursor([featuresColumn, labelColumn, indexColumn]))
        {
            var getFeatures = cursor.GetGetter<VBuffer<float>>(featuresColumn);
            var getLabel = cursor.GetGetter<uint>(labelColumn);
            var getIndex = cursor.GetGetter<int>(indexColumn);
            VBuffer<float> buffer = default;
            uint label = 0;
            var index = 0;
            var stopwatch = Stopwatch.StartNew();
            var lastReport = TimeSpan.Zero;
            while (cursor.MoveNext())
            {
                cancellationToken.ThrowIfCancellationRequested();
                getFeatures(ref buffer);
                getLabel(ref label);
                getIndex(ref index);
                // Cursors give 1-based key values; the matrix holds 0-based class indices like LabeledPixels.
                buffer.CopyTo(rows.AddRow(label - 1, index));
                if (progress is not null && stopwatch.Elapsed - lastReport > TimeSpan.FromMilliseconds(200))
                {
                    lastReport = stopwatch.Elapsed;
                    progress.Report(new TrainingProgress("featurizing", rows.Count, expected, rows.Count / stopwatch.Elapsed.TotalSeconds));
                }
            }

            progress?.Report(new TrainingProgress("featurizing", rows.Count, expected, rows.Count / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9)));
        }

        return rows.AsDataView(ml, new VectorDataViewType(NumberDataViewType.Single, featureLength), (int)labelType.Count, cancellationToken);
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
