using System.Globalization;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Training;
using Microsoft.ML;

namespace ImageWorkbench.Pipeline.Pipelines.HandCrafted;

/// <summary>
/// Hand-crafted features for <c>pipeline featurize</c>: computed through the same ML.NET transform a direct run
/// trains on (so stored and direct features are the same floats), one preset named by its versioned id.
/// </summary>
internal sealed class HandCraftedStoredFeatures(StoredFeaturizer featurizer) : IFeatureComputer
{
    public static StoredFeaturizer Describe(ImageDataset data, TrainingOptions options)
    {
        var name = options.OptionsOf<HandCraftedPipelineOptions>()?.FeatureSet ?? HandCraftedPipeline.DefaultFeatureSet(data);
        var definition = FeatureSetPresets.Get(name);
        return new StoredFeaturizer("handcrafted", name, definition.Describe(), definition.OutputLength, HandCraftedPipeline.InputOf(definition), new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["featureSet"] = name,
            ["featureLength"] = definition.OutputLength.ToString(CultureInfo.InvariantCulture),
        });
    }

    public static ITransformer CreateSavedFeaturizer(MLContext ml, StoredFeaturizer featurizer, IDataView pixels) =>
        HandCraftedPipeline.CreateSavedFeaturizer(ml, featurizer.FeatureSet, pixels);

    public float[] Featurize(IReadOnlyList<LabeledImage> images, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(images);
        var ml = new MLContext(0);
        var classCount = images.Count == 0 ? 1 : images.Max(i => i.Label) + 1;
        var pixels = ImageRows.Create(ml, images, featurizer.Input, classCount, warnings, cancellationToken);
        var transform = HandCraftedPipeline.CreateSavedFeaturizer(ml, featurizer.FeatureSet, pixels);
        var rows = HandCraftedPipeline.Materialize(transform.Transform(pixels), featurizer.FeatureLength, images.Count, progress, cancellationToken);
        var length = featurizer.FeatureLength;
        var features = new float[checked(images.Count * length)];
        features.AsSpan().Fill(float.NaN);
        for (var r = 0; r < rows.Count; r++)
        {
            rows.Row(r).CopyTo(features.AsSpan(rows.IndexOf(r) * length, length));
        }

        return features;
    }

    public void Dispose()
    {
    }
}
