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
        var train = Featurize(ml, engine, cache, data.Train, data.Classes.Count, input, definition, warnings, progress, cancellationToken);
        var featurizeSeconds = stopwatch.Elapsed.TotalSeconds;
        warnings.ThrowIfOverThreshold(data.Train.Count, options.MaxBadImageFraction);

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
            Features = train,
            PixelsSchema = pixelsSchema,
            Input = input,
            FeatureSet = featureSetName,
            FeatureSetDescription = $"{definition.Describe()}\ncnn [{definition.OutputLength},{definition.OutputLength + source.FeatureLength}) {source.Describe()}; hand-crafted block from the CNN input stretched to {definition.InputShape}",
            FeatureLength = definition.OutputLength + source.FeatureLength,
            FeaturizeSeconds = featurizeSeconds,
            Extra = new Dictionary<string, string>(source.Metadata())
            {
                ["featureCacheHits"] = (cache?.Stats.Hits ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            CreateSavedFeaturizer = CreateSavedFeaturizer,
            EvaluateHead = head =>
            {
                var test = Featurize(ml, engine, cache, data.Test, data.Classes.Count, input, definition, warnings, progress, cancellationToken);
                var (labels, scores, indices) = ModelScoring.Collect(head.Transform(test), cancellationToken);
                return ClassificationMetrics.Compute(data.Classes, labels, scores, indices.Select(i => data.Test[i].Source.Name).ToList());
            },
        });
    }

    /// <summary>Hand-crafted block then CNN block for every readable image (Features, Label, Index); unreadable ones are skipped with a warning.</summary>
    private static IDataView Featurize(MLContext ml, ICnnFeatureEngine engine, FeatureCache? cache, IReadOnlyList<LabeledImage> images, int classCount, ModelInput input, FeatureSetDefinition definition, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var cnn = CnnTraining.Featurize(ml, engine, cache, images, classCount, input, new VectorDataViewType(NumberDataViewType.Single, engine.FeatureLength), warnings, $"featurizing ({engine.DisplayName})", progress, cancellationToken);
        int handLength = definition.OutputLength, length = handLength + engine.FeatureLength;
        var rows = new FeatureMatrix(length, images.Count);
        var extractor = definition.CreateExtractor();
        var mode = ModelInputPixels.ParseResizeMode(input.ResizeMode);
        var decoded = new float[input.Width * input.Height * input.Channels];
        var pixels = new float[definition.InputShape.Length];
        var scratch = new float[input.Width * input.Height];
        var columns = new[] { cnn.Schema[Trainers.FeaturesColumn], cnn.Schema[Trainers.LabelColumn], cnn.Schema[nameof(LabeledPixels.Index)] };
        using (var cursor = cnn.GetRowCursor(columns))
        {
            var getFeatures = cursor.GetGetter<VBuffer<float>>(columns[0]);
            var getLabel = cursor.GetGetter<uint>(columns[1]);
            var getIndex = cursor.GetGetter<int>(columns[2]);
            VBuffer<float> features = default;
            uint label = 0;
            var index = 0;
            while (cursor.MoveNext())
            {
                cancellationToken.ThrowIfCancellationRequested();
                getFeatures(ref features);
                getLabel(ref label);
                getIndex(ref index);
                if (!ModelInputPixels.TryDecode(images[index].Source, input, mode, decoded, out _))
                {
                    continue; // the CNN pass decoded it already, so this cannot happen short of the file changing
                }

                HybridPixels.Convert(decoded, pixels, definition.InputShape, scratch);
                var row = rows.AddRow(label - 1, index); // cursors give 1-based key values
                extractor.Extract(pixels, row[..handLength]);
                features.CopyTo(row[handLength..]);
            }
        }

        return rows.AsDataView(ml, new VectorDataViewType(NumberDataViewType.Single, length), classCount, cancellationToken);
    }
}
