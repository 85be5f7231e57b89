using System.Globalization;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;

namespace ImageWorkbench.Pipeline.Pipelines.Cnn;

/// <summary>
/// CNN features for <c>pipeline featurize</c>: the fast engine (and the feature cache unless turned off), exactly as a
/// direct run featurizes; named by the network's and the mean image's SHA-256 and the preprocessing.
/// </summary>
internal sealed class CnnStoredFeatures : IFeatureComputer
{
    private readonly StoredFeaturizer _featurizer;
    private readonly CnnFeatureSource _source;
    private readonly ICnnFeatureEngine _engine;
    private readonly FeatureCache? _cache;

    public CnnStoredFeatures(StoredFeaturizer featurizer, TrainingOptions options)
    {
        _featurizer = featurizer;
        _cache = options.UseFeatureCache ? new FeatureCache(options.CacheDirectory) : null;
        _source = SourceOf(featurizer, options.OptionsOf<CnnPipelineOptions>()?.Device ?? CnnDevice.Cpu);
        _engine = _source.CreateEngine();
    }

    public static StoredFeaturizer Describe(TrainingOptions options)
    {
        var source = CnnFeatureSource.Of(options);
        if (source.Preprocessing is not { } prep)
        {
            return new StoredFeaturizer("cnn", source.Id, source.Describe(), source.FeatureLength, source.Input, source.StoredIdentity());
        }

        var identity = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["network"] = ResNet18Model.NetworkId,
            ["networkSha256"] = ResNet18Model.NetworkSha256,
            ["meanImageSha256"] = ResNet18Model.PreprocessSha256,
            ["networkOutput"] = ResNet18Model.NetworkOutputName,
            ["preprocessing"] = prep.Id,
            ["inputSize"] = prep.InputSize.ToString(CultureInfo.InvariantCulture),
            ["resizeMode"] = prep.ResizeMode.ToString(),
            ["channelOrder"] = prep.ChannelOrder.ToString(),
        };
        if (prep.Precision != CnnPrecision.Float)
        {
            identity["precision"] = prep.Precision.ToString(); // float headers stay as they were before the int8 backbone
        }

        return new StoredFeaturizer("cnn", prep.Id, CnnTraining.Describe(prep), ResNet18Model.FeatureLength, CnnTraining.InputOf(prep), identity);
    }

    public static ITransformer CreateSavedFeaturizer(MLContext ml, StoredFeaturizer featurizer, IDataView pixels) =>
        SourceOf(featurizer, CnnDevice.Cpu).CreateSavedFeaturizer(ml, pixels, Trainers.FeaturesColumn);

    /// <summary>The network a description names: a backbone (reloaded from its file) or ResNet18 at its preprocessing.</summary>
    private static CnnFeatureSource SourceOf(StoredFeaturizer featurizer, CnnDevice device) =>
        featurizer.Identity.GetValueOrDefault("network") == CnnFeatureSource.BackboneNetwork
            ? CnnFeatureSource.FromStoredIdentity(featurizer.FeatureSet, featurizer.Identity)
            : CnnFeatureSource.OfResNet18(PreprocessingOf(featurizer), device);

    /// <summary>The preprocessing a description names (checked against its id, so a hand-edited header cannot mix two).</summary>
    private static CnnPreprocessing PreprocessingOf(StoredFeaturizer featurizer)
    {
        var identity = featurizer.Identity;
        if (!identity.TryGetValue("inputSize", out var size) || !int.TryParse(size, NumberStyles.Integer, CultureInfo.InvariantCulture, out var inputSize)
            || !identity.TryGetValue("resizeMode", out var resize) || !Enum.TryParse<ResizeMode>(resize, out var resizeMode)
            || !identity.TryGetValue("channelOrder", out var order) || !Enum.TryParse<CnnChannelOrder>(order, out var channelOrder))
        {
            throw new WorkbenchException($"the stored CNN featurizer '{featurizer.FeatureSet}' does not name its input size, resize mode and channel order");
        }

        // shards written before the int8 backbone existed name no precision: they are float
        var precision = identity.TryGetValue("precision", out var p) && Enum.TryParse<CnnPrecision>(p, out var parsed) ? parsed : CnnPrecision.Float;
        var prep = new CnnPreprocessing(inputSize, resizeMode, channelOrder, precision);
        prep.Validate();
        if (prep.Id != featurizer.FeatureSet || identity.GetValueOrDefault("networkSha256") != ResNet18Model.NetworkSha256)
        {
            throw new WorkbenchException($"the stored CNN featurizer '{featurizer.FeatureSet}' (network {identity.GetValueOrDefault("networkSha256")}) is not this build's {prep.Id} (network {ResNet18Model.NetworkSha256})");
        }

        return prep;
    }

    public float[] Featurize(IReadOnlyList<LabeledImage> images, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        CnnTraining.FeaturizeRows(_engine, _cache, images, _featurizer.Input, warnings, $"featurizing ({_source.DisplayName})", progress, cancellationToken);

    public void Dispose() => (_engine as IDisposable)?.Dispose();
}
