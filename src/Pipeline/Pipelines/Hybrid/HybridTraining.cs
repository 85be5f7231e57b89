using System.Diagnostics;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Pipelines.HandCrafted;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.HandCrafted;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Pipeline.Pipelines.Hybrid;

/// <summary>
/// Hybrid training: each image is decoded once at the CNN's input; the CNN block is ResNet18's 512 features (engine
/// and feature cache, as the CNN pipeline computes them), the hand-crafted block is the preset's features of the same
/// pixels stretched to the preset's shape (<see cref="HybridPixels"/>). Row layout: hand-crafted block, then CNN block.
/// The saved chain is the ONNX scoring transformer, the pixel bridge, the preset's mapping and a concatenation, so a
/// package predicts from an image on its own and computes exactly the features it was trained on.
/// </summary>
internal static class HybridTraining
{
    private const string CnnFeaturesColumn = "CnnFeatures";

    public static TrainingResult Train(TrainingRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var (ml, data, options, _, warnings, progress, cancellationToken) = run;
        var source = CnnFeatureSource.Of(options); // the packaged ResNet18, or any ONNX network (--backbone)
        var featureSetName = options.OptionsOf<HandCraftedPipelineOptions>()?.FeatureSet ?? HandCraftedPipeline.DefaultFeatureSet(data);
        var definition = FeatureSetPresets.Get(featureSetName);
        var input = source.Input;
        var cache = options.UseFeatureCache ? new FeatureCache(options.CacheDirectory) : null;
        var pixelsSchema = ImageRows.Create(ml, [], input, data.Classes.Count, warnings, cancellationToken).Schema;

        var engine = source.CreateEngine();
        using var owned = engine as IDisposable;
        var stopwatch = Stopwatch.StartNew();
        var trainRows = Featurize(engine, cache, data.Train, input, definition, warnings, progress, cancellationToken);
        var featurizeSeconds = stopwatch.Elapsed.TotalSeconds;
        warnings.ThrowIfOverThreshold(data.Train.Count, options.MaxBadImageFraction);
        var featureType = new VectorDataViewType(NumberDataViewType.Single, trainRows.Length);
        var extra = new Dictionary<string, string>(source.Metadata())
        {
            ["featureCacheHits"] = (cache?.Stats.Hits ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        // A linear head weighs the two blocks, the weighting chosen on validation (trees are blind to feature scale).
        IEstimator<ITransformer>? head = null;
        var weighting = string.Empty;
        var choiceSeconds = 0.0;
        if (Trainers.IsLinear(run.Trainer))
        {
            var choosing = Stopwatch.StartNew();
            var choice = HybridBlockWeights.Choose(data, trainRows, definition.OutputLength, run.Trainer, options, warnings, progress, cancellationToken);
            var weights = HybridBlockWeights.SlotWeights(definition.OutputLength, trainRows.Length, choice?.CnnToHand ?? 1);
            head = HybridBlockWeights.CreateHead(ml, trainRows, null, weights, run.Trainer, options.MaxIterations, data.Classes.Count, cancellationToken);
            extra["blockWeights"] = choice?.Describe() ?? "cnn:hand 1 (too few images per class for a validation split)";
            weighting = "; block weights " + extra["blockWeights"];
            choiceSeconds = choosing.Elapsed.TotalSeconds;
        }

        ITransformer CreateSavedFeaturizer()
        {
            owned?.Dispose(); // evaluation is done: free its session before the saved chain's is made
            var empty = ImageRows.Create(ml, [], input, data.Classes.Count, warnings, cancellationToken);
            var cnn = source.CreateSavedFeaturizer(ml, empty, CnnFeaturesColumn);
            var hand = HybridPixels.CreateEstimator(ml.Transforms, definition.InputShape)
                .Append(HandCraftedMapping.CreateEstimator(ml, featureSetName))
                .Append(ml.Transforms.Concatenate(Trainers.FeaturesColumn, HandCraftedMapping.FeaturesColumn, CnnFeaturesColumn))
                .Fit(cnn.Transform(empty));
            return cnn.Append(hand);
        }

        return ModelTrainer.FitHead(run, new FeaturizedTrainingSet
        {
            Features = trainRows.AsDataView(ml, featureType, data.Classes.Count, cancellationToken),
            PixelsSchema = pixelsSchema,
            Input = input,
            FeatureSet = featureSetName,
            FeatureSetDescription = $"{definition.Describe()}\ncnn [{definition.OutputLength},{definition.OutputLength + source.FeatureLength}) {source.Describe()}; hand-crafted block from the CNN input stretched to {definition.InputShape}{weighting}",
            FeatureLength = definition.OutputLength + source.FeatureLength,
            FeaturizeSeconds = featurizeSeconds,
            Extra = extra,
            Head = head,
            HeadChoiceSeconds = choiceSeconds,
            CreateSavedFeaturizer = CreateSavedFeaturizer,
            EvaluateHead = head =>
            {
                var test = Featurize(engine, cache, data.Test, input, definition, warnings, progress, cancellationToken).AsDataView(ml, featureType, data.Classes.Count, cancellationToken);
                var (labels, scores, indices) = ModelScoring.Collect(head.Transform(test), cancellationToken);
                return ClassificationMetrics.Compute(data.Classes, labels, scores, indices.Select(i => data.Test[i].Source.Name).ToList());
            },
        });
    }

    /// <summary>Hand-crafted block then CNN block for every readable image; unreadable ones are skipped with a warning.</summary>
    private static FeatureMatrix Featurize(ICnnFeatureEngine engine, FeatureCache? cache, IReadOnlyList<LabeledImage> images, ModelInput input, FeatureSetDefinition definition, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var cnn = CnnTraining.FeaturizeRows(engine, cache, images, input, warnings, $"featurizing ({engine.DisplayName})", progress, cancellationToken);
        int handLength = definition.OutputLength, cnnLength = engine.FeatureLength;
        var rows = new FeatureMatrix(handLength + cnnLength, images.Count);
        var extractor = definition.CreateExtractor();
        var mode = ModelInputPixels.ParseResizeMode(input.ResizeMode);
        var decoded = new float[input.Width * input.Height * input.Channels];
        var pixels = new float[definition.InputShape.Length];
        var scratch = new float[input.Width * input.Height];
        for (var index = 0; index < images.Count; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var features = cnn.AsSpan(index * cnnLength, cnnLength);
            if (float.IsNaN(features[0]) || !ModelInputPixels.TryDecode(images[index].Source, input, mode, decoded, out _))
            {
                continue; // unreadable: the CNN pass warned already (a decode failing only now means the file changed)
            }

            HybridPixels.Convert(decoded, pixels, definition.InputShape, scratch);
            var row = rows.AddRow((uint)images[index].Label, index);
            extractor.Extract(pixels, row[..handLength]);
            features.CopyTo(row[handLength..]);
        }

        return rows;
    }
}
