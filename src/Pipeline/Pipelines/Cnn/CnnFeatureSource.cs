using System.Globalization;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;

namespace ImageWorkbench.Pipeline.Pipelines.Cnn;

/// <summary>
/// The frozen network a CNN-based wing (cnn, hybrid, their stored features) takes its features from: the packaged
/// ResNet18 at a preprocessing, or any ONNX network given as <c>--backbone</c> (<see cref="CnnPipelineOptions.Backbone"/>).
/// One place decides which, so every command that featurizes with the CNN (train, compare, featurize, bench) gets the
/// same network, input, feature length, cache key, saved transform and metadata.
/// </summary>
internal sealed class CnnFeatureSource
{
    private readonly CnnPreprocessing? _prep;
    private readonly OnnxBackbone? _backbone;
    private readonly CnnDevice _device;

    private CnnFeatureSource(CnnPreprocessing? prep, OnnxBackbone? backbone, CnnDevice device, ModelInput input)
    {
        _prep = prep;
        _backbone = backbone;
        _device = device;
        Input = input;
    }

    /// <summary>The pixels the network takes, as prediction decodes them.</summary>
    public ModelInput Input { get; }

    /// <summary>Identifies the features (preprocessing id, or the backbone's content and settings): feature-set name and cache key.</summary>
    public string Id => _backbone?.Id ?? _prep!.Id;

    public int FeatureLength => _backbone?.FeatureLength ?? ResNet18Model.FeatureLength;

    /// <summary>For progress lines: <c>ResNet18</c> or <c>ONNX backbone</c>.</summary>
    public string DisplayName => _backbone is null ? "ResNet18" : "ONNX backbone";

    /// <summary>One line on the network, for the metadata and reports.</summary>
    public string Describe() => _backbone?.Describe() ?? CnnTraining.Describe(_prep!);

    /// <summary>The backbone when one was given (null: the packaged ResNet18).</summary>
    public OnnxBackbone? Backbone => _backbone;

    /// <summary>The preprocessing of the packaged ResNet18 (null with a backbone).</summary>
    public CnnPreprocessing? Preprocessing => _prep;

    /// <summary>The network these options name: <see cref="CnnPipelineOptions.Backbone"/> when given, else the packaged ResNet18 at <see cref="CnnPipelineOptions.Preprocessing"/>.</summary>
    public static CnnFeatureSource Of(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cnn = options.OptionsOf<CnnPipelineOptions>();
        var device = cnn?.Device ?? CnnDevice.Cpu;
        if (cnn?.Backbone is { } spec)
        {
            return OfBackbone(OnnxBackbone.Load(spec), cnn.Preprocessing?.ResizeMode, device);
        }

        var prep = cnn?.Preprocessing ?? CnnPreprocessing.Default;
        prep.Validate();
        return OfResNet18(prep, device);
    }

    public static CnnFeatureSource OfResNet18(CnnPreprocessing prep, CnnDevice? device = null)
    {
        ArgumentNullException.ThrowIfNull(prep);
        return new CnnFeatureSource(prep, null, device ?? CnnDevice.Cpu, CnnTraining.InputOf(prep));
    }

    /// <summary>A loaded backbone; its input must have a decode step a saved model can hold.</summary>
    public static CnnFeatureSource OfBackbone(OnnxBackbone backbone, ResizeMode? resize, CnnDevice? device = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        var grey28 = backbone is { Width: 28, Height: 28, Channels: 1 };
        var input = new ModelInput(backbone.Width, backbone.Height, backbone.Channels, (resize ?? (grey28 ? ResizeMode.Stretch : CnnPreprocessing.Default.ResizeMode)).ToString(), 1f);
        if (!ImageDecodeMapping.IsSaveable(input))
        {
            throw new WorkbenchException($"{backbone.Path}: its input {backbone.Width}x{backbone.Height}x{backbone.Channels} (resize {input.ResizeMode}) has no saveable decode step: a backbone takes 28x28 grey (stretch) or S x S RGB with S a multiple of 32 from 32 to 1024");
        }

        return new CnnFeatureSource(null, backbone, device ?? CnnDevice.Cpu, input);
    }

    /// <summary>A new featurizing engine (the caller disposes it).</summary>
    public ICnnFeatureEngine CreateEngine() => _backbone is { } backbone
        ? new OnnxBackboneFeaturizer(backbone)
        : new ResNet18Featurizer(new ResNet18FeaturizerOptions { Preprocessing = _prep!, Device = _device });

    /// <summary>The fitted transform a saved model holds: <see cref="ImageRows.PixelsColumn"/> to <paramref name="featuresColumn"/> (the network inside the model file).</summary>
    public ITransformer CreateSavedFeaturizer(MLContext ml, IDataView pixels, string featuresColumn) => _backbone is { } backbone
        ? backbone.CreateScoringTransformer(ml, pixels, ImageRows.PixelsColumn, featuresColumn)
        : CnnScoringTransformer.Create(ml, _prep!, ImageRows.PixelsColumn, featuresColumn);

    /// <summary>What the model's metadata records about the network.</summary>
    public Dictionary<string, string> Metadata() => _backbone is { } backbone
        ? new Dictionary<string, string>
        {
            ["network"] = BackboneNetwork,
            ["backbone"] = Path.GetFileName(backbone.Path),
            ["networkSha256"] = backbone.Sha256,
            ["networkInput"] = backbone.InputName,
            ["networkOutput"] = backbone.OutputName,
            ["preprocessing"] = backbone.Id,
        }
        : new Dictionary<string, string>
        {
            ["network"] = ResNet18Model.NetworkId,
            ["networkSha256"] = ResNet18Model.NetworkSha256, // the packaged file the saved CNN transform rebuilds its session from
            ["networkOutput"] = ResNet18Model.NetworkOutputName,
            ["preprocessing"] = _prep!.Id,
        };

    /// <summary>The metadata's <c>network</c> value of a model on an ONNX backbone.</summary>
    public const string BackboneNetwork = "onnx-backbone";

    /// <summary>
    /// What names these features in a feature shard's header: the backbone's file, content and every setting (so
    /// <c>train --features</c> can rebuild the same saved transform, and refuses a changed file), or ResNet18's preprocessing.
    /// </summary>
    public SortedDictionary<string, string> StoredIdentity()
    {
        if (_backbone is not { } b)
        {
            throw new InvalidOperationException("the ResNet18 identity is CnnStoredFeatures' own");
        }

        var floats = (IEnumerable<float> values) => string.Join(',', values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["network"] = BackboneNetwork,
            ["backbonePath"] = Path.GetFullPath(b.Path),
            ["networkSha256"] = b.Sha256,
            ["networkInput"] = b.InputName,
            ["networkOutput"] = b.OutputName,
            ["inputSize"] = b.Width.ToString(CultureInfo.InvariantCulture),
            ["layout"] = b.Layout.ToString(),
            ["mean"] = floats(b.Mean),
            ["std"] = floats(b.Std),
            ["resizeMode"] = Input.ResizeMode,
        };
    }

    /// <summary>The backbone a shard header names, reloaded from its file (which must still hold the same content).</summary>
    public static CnnFeatureSource FromStoredIdentity(string featureSet, IReadOnlyDictionary<string, string> identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        string Get(string key) => identity.TryGetValue(key, out var value) ? value : throw new WorkbenchException($"the stored backbone featurizer '{featureSet}' does not name its {key}");
        IReadOnlyList<float> Floats(string key) => [.. Get(key).Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture))];
        var path = Get("backbonePath");
        var backbone = OnnxBackbone.Load(new BackboneOptions
        {
            Path = path,
            Input = Get("networkInput"),
            Output = Get("networkOutput"),
            Size = int.Parse(Get("inputSize"), CultureInfo.InvariantCulture),
            Layout = Enum.Parse<BackboneLayout>(Get("layout")),
            Mean = Floats("mean"),
            Std = Floats("std"),
        });
        if (backbone.Sha256 != Get("networkSha256") || backbone.Id != featureSet)
        {
            throw new WorkbenchException($"{path}: not the backbone the stored features were made with (SHA-256 {Get("networkSha256")[..16]}..., now {backbone.Sha256[..16]}...)");
        }

        return OfBackbone(backbone, Enum.Parse<ResizeMode>(Get("resizeMode")));
    }
}
