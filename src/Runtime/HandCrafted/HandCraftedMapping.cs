using ImageWorkbench.FeatureExtractors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace ImageWorkbench.Runtime.HandCrafted;

/// <summary>The model's input row: one planar image, values 0..1, of the feature set's input shape.</summary>
public sealed class PixelsRow
{
    public float[] Pixels { get; set; } = [];
}

/// <summary>
/// The hand-crafted features as an ML.NET transform (a <c>CustomMapping</c> with a contract name), so that
/// <c>mlContext.Model.Save</c> stores the feature extraction with the trainer and a fresh process reloads the
/// whole chain. ML.NET saves only the contract name of a custom mapping, never parameters, and the output
/// vector length must be known from the output type; so each feature-set preset has its own contract
/// (<c>handcrafted/&lt;preset&gt;</c>) and output type, declared below.
/// </summary>
public static class HandCraftedMapping
{
    public const string ContractPrefix = "handcrafted/";

    /// <summary>The estimator that adds a <c>Features</c> column computed from <c>Pixels</c>.</summary>
    public static IEstimator<ITransformer> CreateEstimator(MLContext ml, string featureSet)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ModelComponents.Register(ml);
        return featureSet switch
        {
            FeatureSetPresets.Grey28V1Name => ml.Transforms.CustomMapping(new Grey28V1Mapping().GetMapping(), Grey28V1Mapping.Contract),
            FeatureSetPresets.Rgb64V1Name => ml.Transforms.CustomMapping(new Rgb64V1Mapping().GetMapping(), Rgb64V1Mapping.Contract),
            _ => throw new WorkbenchException($"unknown feature set '{featureSet}' (known: {string.Join(", ", FeatureSetPresets.Names)})"),
        };
    }

    /// <summary>
    /// Builds the mapping delegate of one preset. Extractors own scratch buffers, so each thread that ML.NET
    /// runs the mapping on gets its own; the output array is reused when ML.NET hands back the same row object.
    /// </summary>
    internal static Action<PixelsRow, TOut> CreateMapping<TOut>(string featureSet, Func<TOut, float[]> get, Action<TOut, float[]> set)
    {
        var definition = FeatureSetPresets.Get(featureSet);
        var extractors = new ThreadLocal<IFeatureExtractor>(definition.CreateExtractor);
        var inputLength = definition.InputShape.Length;
        var outputLength = definition.OutputLength;
        return (input, output) =>
        {
            if (input.Pixels.Length != inputLength)
            {
                throw new InvalidOperationException($"feature set {featureSet} expects {inputLength} pixels ({definition.InputShape}), got {input.Pixels.Length}");
            }

            var features = get(output);
            if (features.Length != outputLength)
            {
                features = new float[outputLength];
                set(output, features);
            }

            extractors.Value!.Extract(input.Pixels, features);
        };
    }
}

public sealed class Grey28V1Features
{
    [VectorType(FeatureSetPresets.Grey28V1Length)]
    public float[] Features { get; set; } = [];
}

[CustomMappingFactoryAttribute(Contract)]
public sealed class Grey28V1Mapping : CustomMappingFactory<PixelsRow, Grey28V1Features>
{
    public const string Contract = HandCraftedMapping.ContractPrefix + FeatureSetPresets.Grey28V1Name;

    public override Action<PixelsRow, Grey28V1Features> GetMapping() =>
        HandCraftedMapping.CreateMapping<Grey28V1Features>(FeatureSetPresets.Grey28V1Name, o => o.Features, (o, f) => o.Features = f);
}

public sealed class Rgb64V1Features
{
    [VectorType(FeatureSetPresets.Rgb64V1Length)]
    public float[] Features { get; set; } = [];
}

[CustomMappingFactoryAttribute(Contract)]
public sealed class Rgb64V1Mapping : CustomMappingFactory<PixelsRow, Rgb64V1Features>
{
    public const string Contract = HandCraftedMapping.ContractPrefix + FeatureSetPresets.Rgb64V1Name;

    public override Action<PixelsRow, Rgb64V1Features> GetMapping() =>
        HandCraftedMapping.CreateMapping<Rgb64V1Features>(FeatureSetPresets.Rgb64V1Name, o => o.Features, (o, f) => o.Features = f);
}
