using System.Globalization;
using System.Security.Cryptography;
using ImageWorkbench.Runtime.Files;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using static ImageWorkbench.Runtime.Cnn.OnnxNodes;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>How a backbone's image input is laid out.</summary>
public enum BackboneLayout
{
    /// <summary>[N, C, H, W] (PyTorch, ONNX's own convention).</summary>
    Nchw,

    /// <summary>[N, H, W, C] (TensorFlow, Keras).</summary>
    Nhwc,
}

/// <summary>
/// What the user says about an ONNX backbone; every field but <see cref="Path"/> is optional and read from the graph when
/// left out (input: the only one; size and layout: its shape; output: the last Flatten / GlobalAveragePool / GlobalMaxPool;
/// mean and std: the model's metadata <c>mean</c> / <c>std</c>, else ImageNet's for colour input and 0 / 1 for grey).
/// </summary>
public sealed record BackboneOptions
{
    public required string Path { get; init; }

    public string? Input { get; init; }

    public string? Output { get; init; }

    public int? Size { get; init; }

    public BackboneLayout? Layout { get; init; }

    /// <summary>Per-channel mean on the 0..1 scale, in R, G, B order (one value for grey, or one for all channels).</summary>
    public IReadOnlyList<float>? Mean { get; init; }

    /// <summary>Per-channel standard deviation on the 0..1 scale (the input is (x - mean) / std).</summary>
    public IReadOnlyList<float>? Std { get; init; }
}

/// <summary>
/// Any ONNX network as the frozen CNN's feature extractor. <see cref="Load"/> reads the file, works out (or takes from
/// <see cref="BackboneOptions"/>) the input, its size, layout and normalisation and the feature layer, and builds
/// <see cref="Graph"/>: the backbone with the workbench's input in front (<see cref="PixelsName"/>: planar RGB or grey,
/// 0..1, [1, C, H, W]; minus the mean, over the std, transposed for NHWC) and the feature layer flattened behind
/// (<see cref="FeaturesName"/>, [<see cref="FeatureLength"/>]). A saved model stores that graph (ML.NET's ONNX
/// transform keeps its bytes in the model file), so prediction needs nothing but the package. Every problem is one
/// <see cref="WorkbenchException"/> naming the file.
/// </summary>
public sealed class OnnxBackbone
{
    /// <summary>The input of <see cref="Graph"/>.</summary>
    public const string PixelsName = "iw_backbone_pixels";

    /// <summary>The output of <see cref="Graph"/>.</summary>
    public const string FeaturesName = "iw_backbone_features";

    /// <summary>Largest backbone file read (1 GiB).</summary>
    public const long MaxFileBytes = 1L << 30;

    private static readonly string[] PoolOps = ["GlobalAveragePool", "Flatten", "GlobalMaxPool"];

    private OnnxBackbone(string path, string sha256, string input, string output, int width, int height, int channels, BackboneLayout layout, float[] mean, float[] std)
    {
        Path = path;
        Sha256 = sha256;
        InputName = input;
        OutputName = output;
        Width = width;
        Height = height;
        Channels = channels;
        Layout = layout;
        Mean = mean;
        Std = std;
    }

    public string Path { get; }

    /// <summary>SHA-256 of the backbone file (hex, lower case): part of <see cref="Id"/> and so of every cache key.</summary>
    public string Sha256 { get; }

    public string InputName { get; }

    public string OutputName { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>1 (grey) or 3 (RGB).</summary>
    public int Channels { get; }

    public BackboneLayout Layout { get; }

    public IReadOnlyList<float> Mean { get; }

    public IReadOnlyList<float> Std { get; }

    /// <summary>Floats per feature vector: the flattened feature layer.</summary>
    public int FeatureLength { get; private set; }

    /// <summary>The rewritten graph (see the class remarks).</summary>
    public byte[] Graph { get; private set; } = [];

    /// <summary>Floats in one input image: C x H x W.</summary>
    public int InputLength => Channels * Width * Height;

    /// <summary>Identifies the features: the file's content and every setting that changes them (cache keys, metadata).</summary>
    public string Id => string.Create(CultureInfo.InvariantCulture,
        $"onnx-{Sha256[..16]}/{InputName}/{OutputName}/{Width}x{Height}x{Channels}/{Layout.ToString().ToLowerInvariant()}/mean {string.Join(',', Mean)}/std {string.Join(',', Std)}");

    /// <summary>Reads and checks the backbone; throws a one-line <see cref="WorkbenchException"/> naming the file when it does not fit.</summary>
    public static OnnxBackbone Load(BackboneOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = options.Path;
        var bytes = ReadFile(path);
        OnnxGraphReader graph;
        try
        {
            graph = OnnxGraphReader.Parse(bytes);
        }
        catch (Exception ex) when (ex is InvalidDataException or OverflowException)
        {
            throw new WorkbenchException($"{path}: not an ONNX model ({ex.Message})", ex);
        }

        if (OnnxSelfContainedCheck.FindProblem(bytes) is { } external)
        {
            throw new WorkbenchException($"{path}: {external}");
        }

        var input = FindInput(path, graph, options.Input);
        if (input.ElementType != OnnxValueInfo.FloatType)
        {
            throw new WorkbenchException($"{path}: input {MessageText.Quoted(input.Name)} is not a float tensor (ONNX element type {input.ElementType}); a backbone takes a float image");
        }

        if (input.Dims.Count != 4)
        {
            throw new WorkbenchException($"{path}: input {MessageText.Quoted(input.Name)} has rank {input.Dims.Count} ({Shape(input.Dims)}); a backbone takes a 4-D image tensor, N x C x H x W or N x H x W x C");
        }

        var layout = options.Layout ?? GuessLayout(path, input);
        int channelAxis = layout == BackboneLayout.Nchw ? 1 : 3;
        long channels = input.Dims[channelAxis];
        if (channels is not (1 or 3))
        {
            throw new WorkbenchException($"{path}: input {MessageText.Quoted(input.Name)} ({Shape(input.Dims)}, {layout.ToString().ToUpperInvariant()}) has {(channels < 0 ? "a symbolic number of" : channels.ToString(CultureInfo.InvariantCulture))} channels; a backbone takes 1 (grey) or 3 (RGB)");
        }

        var (height, width) = Size(path, input, layout, options.Size);
        var output = FindOutput(path, graph, options.Output);
        var (mean, std) = Normalisation(path, bytes, (int)channels, options);
        var backbone = new OnnxBackbone(path, Convert.ToHexStringLower(SHA256.HashData(bytes)), input.Name, output, width, height, (int)channels, layout, mean, std);
        backbone.Build(bytes, graph);
        return backbone;
    }

    /// <summary>
    /// The fitted ML.NET chain for a saved model: <paramref name="pixelsColumn"/> (C x H x W floats) to
    /// <paramref name="featuresColumn"/> (<see cref="FeatureLength"/> floats) through <see cref="Graph"/>, whose bytes go into the model file.
    /// </summary>
    public ITransformer CreateScoringTransformer(MLContext ml, IDataView pixels, string pixelsColumn, string featuresColumn)
    {
        ArgumentNullException.ThrowIfNull(ml);
        OnnxRuntimeTelemetry.TurnOff();
        return ml.Transforms.CopyColumns(PixelsName, pixelsColumn)
            .Append(ml.Transforms.ApplyOnnxModel([FeaturesName], [PixelsName], new MemoryStream(Graph, writable: false)))
            .Append(ml.Transforms.CopyColumns(featuresColumn, FeaturesName))
            .Append(ml.Transforms.DropColumns(PixelsName, FeaturesName))
            .Fit(pixels);
    }

    /// <summary>One line for model metadata and reports.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"ONNX backbone {System.IO.Path.GetFileName(Path)} (SHA-256 {Sha256[..16]}...), frozen, output {OutputName} flattened ({FeatureLength}); input {InputName} {Width}x{Height}x{Channels} {Layout.ToString().ToUpperInvariant()}, (x - mean {string.Join('/', Mean)}) / std {string.Join('/', Std)} on 0..1");

    private static byte[] ReadFile(string path)
    {
        if (FileChecks.WhyNotAFile(path, "an ONNX backbone") is { } notAFile)
        {
            throw new WorkbenchException($"{path}: {notAFile}");
        }

        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxFileBytes)
            {
                throw new WorkbenchException($"{path}: {FileChecks.TooLarge(length, MaxFileBytes)}");
            }

            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new WorkbenchException($"{path}: cannot read the ONNX backbone ({ex.Message})", ex);
        }
    }

    private static OnnxValueInfo FindInput(string path, OnnxGraphReader graph, string? name)
    {
        var names = string.Join(", ", graph.Inputs.Select(i => i.Name));
        if (name is not null)
        {
            return graph.Inputs.FirstOrDefault(i => i.Name == name)
                ?? throw new WorkbenchException($"{path}: no graph input named {MessageText.Quoted(name)} (inputs: {(names.Length == 0 ? "none" : names)})");
        }

        return graph.Inputs.Count == 1 ? graph.Inputs[0]
            : throw new WorkbenchException(graph.Inputs.Count == 0
                ? $"{path}: the graph has no input"
                : $"{path}: the graph has {graph.Inputs.Count} inputs ({names}); name the image one with --backbone-input");
    }

    private static BackboneLayout GuessLayout(string path, OnnxValueInfo input) => (input.Dims[1], input.Dims[3]) switch
    {
        (1 or 3, not (1 or 3)) => BackboneLayout.Nchw,
        (not (1 or 3), 1 or 3) => BackboneLayout.Nhwc,
        (1 or 3, 1 or 3) => BackboneLayout.Nchw,
        _ => throw new WorkbenchException($"{path}: cannot tell the layout of input {MessageText.Quoted(input.Name)} ({Shape(input.Dims)}): give --backbone-layout nchw or nhwc"),
    };

    private static (int Height, int Width) Size(string path, OnnxValueInfo input, BackboneLayout layout, int? asked)
    {
        var (h, w) = layout == BackboneLayout.Nchw ? (input.Dims[2], input.Dims[3]) : (input.Dims[1], input.Dims[2]);
        if (asked is { } size)
        {
            if (size is < 8 or > 1024)
            {
                throw new WorkbenchException($"--backbone-size must be between 8 and 1024 pixels, got {size}");
            }

            if ((h > 0 && h != size) || (w > 0 && w != size))
            {
                throw new WorkbenchException($"{path}: input {MessageText.Quoted(input.Name)} is fixed at {Shape(input.Dims)}; --backbone-size {size} does not fit it");
            }

            return (size, size);
        }

        if (h <= 0 || w <= 0)
        {
            throw new WorkbenchException($"{path}: input {MessageText.Quoted(input.Name)} has a symbolic size ({Shape(input.Dims)}): give --backbone-size");
        }

        if (h > 1024 || w > 1024)
        {
            throw new WorkbenchException($"{path}: input {MessageText.Quoted(input.Name)} is {Shape(input.Dims)}; at most 1024 x 1024 pixels");
        }

        return ((int)h, (int)w);
    }

    private static string FindOutput(string path, OnnxGraphReader graph, string? name)
    {
        if (name is not null)
        {
            if (graph.Nodes.Any(n => n.Outputs.Contains(name)) || graph.Outputs.Any(o => o.Name == name))
            {
                return name;
            }

            var some = string.Join(", ", graph.Nodes.Where(n => PoolOps.Contains(n.OpType)).Select(n => n.Outputs[0]).Concat(graph.Outputs.Select(o => o.Name)).Distinct().TakeLast(4));
            throw new WorkbenchException($"{path}: no tensor named {MessageText.Quoted(name)} in the graph (candidates: {(some.Length == 0 ? "none" : some)})");
        }

        return graph.Nodes.LastOrDefault(n => PoolOps.Contains(n.OpType) && n.Outputs.Count > 0)?.Outputs[0]
            ?? graph.Outputs.FirstOrDefault()?.Name
            ?? throw new WorkbenchException($"{path}: the graph has no output");
    }

    private static (float[] Mean, float[] Std) Normalisation(string path, byte[] bytes, int channels, BackboneOptions options)
    {
        var props = MetadataProps(bytes);
        float[] Pick(IReadOnlyList<float>? given, string key, float[] fallback, string flag)
        {
            var values = given?.ToArray()
                ?? (props.TryGetValue(key, out var text) ? ParseFloats(path, key, text) : fallback);
            if (values.Length == 1 && channels == 3)
            {
                values = [values[0], values[0], values[0]];
            }

            return values.Length == channels
                ? values
                : throw new WorkbenchException($"{path}: {flag} has {values.Length} values for an input of {channels} channel{(channels == 1 ? "" : "s")}");
        }

        var mean = Pick(options.Mean, "mean", channels == 3 ? [0.485f, 0.456f, 0.406f] : [0f], "--backbone-mean");
        var std = Pick(options.Std, "std", channels == 3 ? [0.229f, 0.224f, 0.225f] : [1f], "--backbone-std");
        if (std.Any(s => !(s > 0) || !float.IsFinite(s)) || mean.Any(m => !float.IsFinite(m)))
        {
            throw new WorkbenchException($"{path}: the backbone's std must be positive and its mean finite (mean {string.Join(',', mean)}, std {string.Join(',', std)})");
        }

        return (mean, std);
    }

    /// <summary>ModelProto.metadata_props (field 14): key (1) / value (2) pairs.</summary>
    private static Dictionary<string, string> MetadataProps(byte[] bytes)
    {
        var props = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in Proto.Parse(bytes).Where(f => f.Number == 14 && f.WireType == ProtoField.LengthDelimited))
        {
            var fields = Proto.Parse(entry.Bytes);
            var key = fields.LastOrDefault(x => x.Number == 1 && x.WireType == ProtoField.LengthDelimited).AsString();
            props[key] = fields.LastOrDefault(x => x.Number == 2 && x.WireType == ProtoField.LengthDelimited).AsString();
        }

        return props;
    }

    private static float[] ParseFloats(string path, string key, string text)
    {
        var parts = text.Trim('[', ']', ' ').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                throw new WorkbenchException($"{path}: metadata {key} {MessageText.Quoted(text)} is not a list of numbers");
            }
        }

        return values;
    }

    private static string Shape(IReadOnlyList<long> dims) => string.Join(" x ", dims.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Builds <see cref="Graph"/>; runs it once on a blank image to learn <see cref="FeatureLength"/>.</summary>
    private void Build(byte[] original, OnnxGraphReader graph)
    {
        var taken = graph.Nodes.SelectMany(n => n.Inputs.Concat(n.Outputs)).Concat(graph.InitializerNames).ToHashSet(StringComparer.Ordinal);
        if (taken.Any(n => n.StartsWith("iw_backbone_", StringComparison.Ordinal)))
        {
            throw new WorkbenchException($"{Path}: the graph uses tensor names starting with iw_backbone_, which the workbench reserves");
        }

        var probe = Rewrite(original, featureLength: null);
        try
        {
            OnnxRuntimeTelemetry.TurnOff();
            using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, IntraOpNumThreads = 1 };
            using var session = new InferenceSession(probe, options);
            using var input = OrtValue.CreateTensorValueFromMemory(new float[InputLength], [1, Channels, Height, Width]);
            using var outputs = session.Run(new RunOptions(), [PixelsName], [input], [FeaturesName]);
            FeatureLength = checked((int)outputs[0].GetTensorTypeAndShape().ElementCount);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new WorkbenchException($"{Path}: ONNX Runtime cannot run the backbone with input {MessageText.Quoted(InputName)} at {Width}x{Height}x{Channels} {Layout.ToString().ToUpperInvariant()} up to {MessageText.Quoted(OutputName)} ({FirstLine(ex.Message)})", ex);
        }

        if (FeatureLength is < 1 or > 1 << 20)
        {
            throw new WorkbenchException($"{Path}: layer {MessageText.Quoted(OutputName)} gives {FeatureLength:N0} values per image; a feature layer gives 1 to {1 << 20:N0}");
        }

        Graph = Rewrite(original, FeatureLength);
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    /// <summary>The original model with its graph's image input replaced by the workbench's and its outputs by the flattened feature layer.</summary>
    private byte[] Rewrite(byte[] original, int? featureLength)
    {
        var model = Proto.Parse(original);
        var graph = Proto.Parse(model.First(f => f.Number == 7 && f.WireType == ProtoField.LengthDelimited).Bytes);
        var nodes = new List<ProtoField>();
        var rest = new List<ProtoField>();
        foreach (var field in graph)
        {
            if (field.Number == 1)
            {
                nodes.Add(field);
            }
            else if (field.Number == 12 || (field.Number == 11 && Proto.Parse(field.Bytes).LastOrDefault(x => x.Number == 1 && x.WireType == ProtoField.LengthDelimited).AsString() == InputName))
            {
                // the image input and every output are replaced
            }
            else
            {
                rest.Add(field);
            }
        }

        var centred = Layout == BackboneLayout.Nchw ? InputName : "iw_backbone_nchw";
        var prep = new List<ProtoField>
        {
            Node("iw_backbone_mean", "Sub", [PixelsName, "iw_backbone_mean_value"], "iw_backbone_centred"),
            Node("iw_backbone_std", "Mul", ["iw_backbone_centred", "iw_backbone_inv_std"], centred),
        };
        if (Layout == BackboneLayout.Nhwc)
        {
            prep.Add(Node("iw_backbone_layout", "Transpose", [centred], InputName, IntsAttribute("perm", 0, 2, 3, 1)));
        }

        var newGraph = new List<ProtoField>(prep);
        newGraph.AddRange(nodes);
        // one image in, a plain vector of features out (ML.NET types a [1, F] output as a 2-D vector, which a head refuses)
        newGraph.Add(Node("iw_backbone_flatten", "Reshape", [OutputName, "iw_backbone_shape"], FeaturesName));
        newGraph.AddRange(rest);
        newGraph.Add(FloatTensor("iw_backbone_mean_value", [1, Channels, 1, 1], [.. Mean]));
        newGraph.Add(FloatTensor("iw_backbone_inv_std", [1, Channels, 1, 1], [.. Std.Select(s => 1f / s)]));
        newGraph.Add(ValueInfo(11, PixelsName, false, Channels, Height, Width));
        newGraph.Add(Int64Tensor("iw_backbone_shape", [1], [-1]));
        var tensorType = new List<ProtoField> { ProtoField.OfVarint(1, OnnxValueInfo.FloatType) };
        if (featureLength is { } length)
        {
            tensorType.Add(ProtoField.OfMessage(2, [ProtoField.OfMessage(1, [ProtoField.OfVarint(1, (ulong)length)])]));
        }

        newGraph.Add(ProtoField.OfMessage(12, [ProtoField.OfString(1, FeaturesName), ProtoField.OfMessage(2, [ProtoField.OfMessage(1, tensorType)])]));
        return Proto.Serialize(model.Select(f => f.Number == 7 && f.WireType == ProtoField.LengthDelimited ? ProtoField.OfMessage(7, newGraph) : f));
    }
}
