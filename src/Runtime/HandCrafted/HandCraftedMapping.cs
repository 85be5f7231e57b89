using ImageWorkbench.FeatureExtractors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace ImageWorkbench.Runtime.HandCrafted;

/// <summary>The hand-crafted mapping's input row: one planar image, values 0..1, of the feature set's input shape.</summary>
public sealed class PixelsRow
{
    public float[] Pixels { get; set; } = [];
}

/// <summary>
/// <c>ml.Transforms.ExtractHandCraftedFeatures(...)</c>: the hand-crafted features as an ML.NET transform, to use in
/// any ML.NET pipeline. Reads a planar float pixel vector of the options' input shape (values 0..1), writes the
/// feature vector.
/// <code>
/// var pipeline = ml.Transforms.ExtractHandCraftedFeatures(HandCraftedFeatureOptions.Grey28V1, "Features", "Pixels")
///     .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy());
/// </code>
/// </summary>
public static class HandCraftedCatalog
{
    /// <summary>Adds <paramref name="outputColumnName"/> (the features) computed from <paramref name="inputColumnName"/> (the pixels).</summary>
    /// <remarks>
    /// A preset is a custom mapping with a contract (<c>handcrafted/&lt;preset&gt;</c>), saved with the model and
    /// reloaded by <c>mlContext.Model.Load</c> alone; the contract reads <c>Pixels</c> and writes <c>Features</c>, so
    /// other column names are copied in and out around it with built-in (saveable) transforms. Custom options are not
    /// saveable (see <see cref="HandCraftedFeatureOptions"/>).
    /// </remarks>
    public static IEstimator<ITransformer> ExtractHandCraftedFeatures(this TransformsCatalog catalog, HandCraftedFeatureOptions options, string outputColumnName = HandCraftedMapping.FeaturesColumn, string inputColumnName = HandCraftedMapping.PixelsColumn)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(outputColumnName);
        ArgumentException.ThrowIfNullOrEmpty(inputColumnName);
        var mapping = options.PresetName is { } preset ? HandCraftedMapping.PresetEstimator(catalog, preset) : HandCraftedMapping.CustomEstimator(catalog, options.ToDefinition());
        if (inputColumnName == HandCraftedMapping.PixelsColumn && outputColumnName == HandCraftedMapping.FeaturesColumn)
        {
            return mapping;
        }

        // The mapping's own columns are fixed by its row types; a caller's names are copied around it, and the
        // mapping's columns dropped unless they are the caller's own.
        var drop = new[] { HandCraftedMapping.PixelsColumn, HandCraftedMapping.FeaturesColumn }.Where(c => c != inputColumnName && c != outputColumnName).ToArray();
        IEstimator<ITransformer> chain = inputColumnName == HandCraftedMapping.PixelsColumn ? mapping : catalog.CopyColumns(HandCraftedMapping.PixelsColumn, inputColumnName).Append(mapping);
        if (outputColumnName != HandCraftedMapping.FeaturesColumn)
        {
            chain = chain.Append(catalog.CopyColumns(outputColumnName, HandCraftedMapping.FeaturesColumn));
        }

        return drop.Length == 0 ? chain : chain.Append(catalog.DropColumns(drop));
    }
}

/// <summary>
/// The hand-crafted features' ML.NET mappings. ML.NET saves a custom mapping as its contract name only, never
/// parameters, and the output vector length must be known from the output type; so each feature-set preset has its
/// own contract (<c>handcrafted/&lt;preset&gt;</c>, unchanged since format 1 packages) and output type, declared below.
/// </summary>
public static class HandCraftedMapping
{
    public const string ContractPrefix = "handcrafted/";

    public const string PixelsColumn = "Pixels";

    public const string FeaturesColumn = "Features";

    /// <summary>The estimator of a preset by name (<c>Pixels</c> to <c>Features</c>).</summary>
    public static IEstimator<ITransformer> CreateEstimator(MLContext ml, string featureSet)
    {
        ArgumentNullException.ThrowIfNull(ml);
        return HandCraftedFeatureOptions.Presets.TryGetValue(featureSet, out var options)
            ? ml.Transforms.ExtractHandCraftedFeatures(options)
            : throw new WorkbenchException($"unknown feature set '{featureSet}' (known: {string.Join(", ", FeatureSetPresets.Names)})");
    }

    internal static IEstimator<ITransformer> PresetEstimator(TransformsCatalog catalog, string preset) => preset switch
    {
        FeatureSetPresets.Grey28V1Name => catalog.CustomMapping(new Grey28V1Mapping().GetMapping(), Grey28V1Mapping.Contract),
        FeatureSetPresets.Rgb64V1Name => catalog.CustomMapping(new Rgb64V1Mapping().GetMapping(), Rgb64V1Mapping.Contract),
        FeatureSetPresets.Grey28V2Name => catalog.CustomMapping(new Grey28V2Mapping().GetMapping(), Grey28V2Mapping.Contract),
        FeatureSetPresets.Rgb64V2Name => catalog.CustomMapping(new Rgb64V2Mapping().GetMapping(), Rgb64V2Mapping.Contract),
        FeatureSetPresets.Rgb64V3Name => catalog.CustomMapping(new Rgb64V3Mapping().GetMapping(), Rgb64V3Mapping.Contract),
        _ => throw new WorkbenchException($"unknown feature set '{preset}' (known: {string.Join(", ", FeatureSetPresets.Names)})"),
    };

    /// <summary>The preset a loaded mapping step computes (recognised by its output row type), or null when it is not one.</summary>
    internal static FeatureSetDefinition? PresetOf(ITransformer step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var type = step.GetType();
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(CustomMappingTransformer<,>) || type.GetGenericArguments()[0] != typeof(PixelsRow))
        {
            return null;
        }

        var output = type.GetGenericArguments()[1];
        return output == typeof(Grey28V1Features) ? FeatureSetPresets.Grey28V1
            : output == typeof(Rgb64V1Features) ? FeatureSetPresets.Rgb64V1
            : output == typeof(Grey28V2Features) ? FeatureSetPresets.Grey28V2
            : output == typeof(Rgb64V2Features) ? FeatureSetPresets.Rgb64V2
            : output == typeof(Rgb64V3Features) ? FeatureSetPresets.Rgb64V3
            : null;
    }

    /// <summary>A custom set: no contract (not saveable), the output length given by a schema definition.</summary>
    internal static IEstimator<ITransformer> CustomEstimator(TransformsCatalog catalog, FeatureSetDefinition definition)
    {
        var output = SchemaDefinition.Create(typeof(CustomFeatures));
        output[nameof(CustomFeatures.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, definition.OutputLength);
        return catalog.CustomMapping(CreateMapping<CustomFeatures>(definition, o => o.Features, (o, f) => o.Features = f), contractName: null, outputSchemaDefinition: output);
    }

    /// <summary>
    /// Builds the mapping delegate of one feature set. Extractors own scratch buffers, so each thread that ML.NET
    /// runs the mapping on gets its own; the output array is reused when ML.NET hands back the same row object.
    /// </summary>
    internal static Action<PixelsRow, TOut> CreateMapping<TOut>(FeatureSetDefinition definition, Func<TOut, float[]> get, Action<TOut, float[]> set)
    {
        var extractors = new ThreadLocal<IFeatureExtractor>(definition.CreateExtractor);
        var inputLength = definition.InputShape.Length;
        var outputLength = definition.OutputLength;
        return (input, output) =>
        {
            if (input.Pixels.Length != inputLength)
            {
                throw new InvalidOperationException($"feature set {definition.Name} expects {inputLength} pixels ({definition.InputShape}), got {input.Pixels.Length}");
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

    private sealed class CustomFeatures
    {
        public float[] Features { get; set; } = [];
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
        HandCraftedMapping.CreateMapping<Grey28V1Features>(FeatureSetPresets.Grey28V1, o => o.Features, (o, f) => o.Features = f);
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
        HandCraftedMapping.CreateMapping<Rgb64V1Features>(FeatureSetPresets.Rgb64V1, o => o.Features, (o, f) => o.Features = f);
}

public sealed class Grey28V2Features
{
    [VectorType(FeatureSetPresets.Grey28V2Length)]
    public float[] Features { get; set; } = [];
}

[CustomMappingFactoryAttribute(Contract)]
public sealed class Grey28V2Mapping : CustomMappingFactory<PixelsRow, Grey28V2Features>
{
    public const string Contract = HandCraftedMapping.ContractPrefix + FeatureSetPresets.Grey28V2Name;

    public override Action<PixelsRow, Grey28V2Features> GetMapping() =>
        HandCraftedMapping.CreateMapping<Grey28V2Features>(FeatureSetPresets.Grey28V2, o => o.Features, (o, f) => o.Features = f);
}

public sealed class Rgb64V2Features
{
    [VectorType(FeatureSetPresets.Rgb64V2Length)]
    public float[] Features { get; set; } = [];
}

[CustomMappingFactoryAttribute(Contract)]
public sealed class Rgb64V2Mapping : CustomMappingFactory<PixelsRow, Rgb64V2Features>
{
    public const string Contract = HandCraftedMapping.ContractPrefix + FeatureSetPresets.Rgb64V2Name;

    public override Action<PixelsRow, Rgb64V2Features> GetMapping() =>
        HandCraftedMapping.CreateMapping<Rgb64V2Features>(FeatureSetPresets.Rgb64V2, o => o.Features, (o, f) => o.Features = f);
}

public sealed class Rgb64V3Features
{
    [VectorType(FeatureSetPresets.Rgb64V3Length)]
    public float[] Features { get; set; } = [];
}

[CustomMappingFactoryAttribute(Contract)]
public sealed class Rgb64V3Mapping : CustomMappingFactory<PixelsRow, Rgb64V3Features>
{
    public const string Contract = HandCraftedMapping.ContractPrefix + FeatureSetPresets.Rgb64V3Name;

    public override Action<PixelsRow, Rgb64V3Features> GetMapping() =>
        HandCraftedMapping.CreateMapping<Rgb64V3Features>(FeatureSetPresets.Rgb64V3, o => o.Features, (o, f) => o.Features = f);
}
