using System.Runtime.InteropServices;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>A graph input or output: its name, ONNX element type (1 = FLOAT) and dimensions (-1 where symbolic or unknown).</summary>
public sealed record OnnxValueInfo(string Name, int ElementType, IReadOnlyList<long> Dims)
{
    public const int FloatType = 1;
}

/// <summary>
/// One attribute of a node (<c>AttributeProto</c>): its name and whichever values it holds: one float (<c>f</c>) or
/// integer (<c>i</c>), lists of floats or integers, a string; <see cref="Raw"/> is the attribute's own bytes, for a
/// rewrite that copies it unchanged.
/// </summary>
public sealed record OnnxAttribute(string Name, float? Float, long? Int, IReadOnlyList<float> Floats, IReadOnlyList<long> Ints, string? Text, ReadOnlyMemory<byte> Raw)
{
    /// <summary>The integers: the list, else the single value, else empty.</summary>
    public IReadOnlyList<long> IntValues => Ints.Count > 0 ? Ints : Int is { } i ? [i] : [];
}

/// <summary>One node of a graph: its name, operator, the tensors it reads and writes, and its attributes in order.</summary>
public sealed record OnnxNodeInfo(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyList<OnnxAttribute> Attributes)
{
    /// <summary>The first output (the only one of most operators); empty when there is none.</summary>
    public string Output => Outputs.Count > 0 ? Outputs[0] : string.Empty;

    /// <summary>The attribute <paramref name="name"/>, or null.</summary>
    public OnnxAttribute? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);

    /// <summary>The integer attribute <paramref name="name"/> (a list, or one value as a list of one), else <paramref name="fallback"/>.</summary>
    public long[] IntsOr(string name, params long[] fallback) => Attribute(name)?.IntValues is { Count: > 0 } values ? [.. values] : fallback;

    /// <summary>The float attribute <paramref name="name"/>, or null.</summary>
    public float? FloatOf(string name) => Attribute(name)?.Float;
}

/// <summary>
/// The weights of a convolution layer: <see cref="Count"/> kernels of <see cref="Channels"/> x <see cref="Height"/> x
/// <see cref="Width"/> floats, row-major [out, in, kh, kw] as ONNX and PyTorch hold them.
/// </summary>
/// <param name="Layer">The node (or weight tensor) the kernels were read from.</param>
/// <param name="Weights">All kernels, one after another.</param>
/// <param name="Count">Kernels (output channels).</param>
/// <param name="Channels">Input channels of each kernel.</param>
/// <param name="Height">Kernel height.</param>
/// <param name="Width">Kernel width.</param>
/// <param name="ChannelsBgr">True when the layer sees its colour channels in B, G, R order (the packaged ResNet18).</param>
public sealed record ConvKernels(string Layer, float[] Weights, int Count, int Channels, int Height, int Width, bool ChannelsBgr = false)
{
    /// <summary>Floats in one kernel: channels x height x width.</summary>
    public int KernelLength => Channels * Height * Width;

    /// <summary>Kernel <paramref name="index"/>'s weights, channel planes one after another.</summary>
    public ReadOnlySpan<float> Kernel(int index) => Weights.AsSpan(index * KernelLength, KernelLength);
}

/// <summary>
/// Reads an ONNX model's graph (<c>ModelProto.graph</c>) with the runtime's protobuf reader (<see cref="Proto"/>): inputs,
/// outputs, nodes in order with their attributes and float initializers by name, without ONNX Runtime. Weights are sliced, not copied, until
/// one is asked for. Field numbers are onnx.proto's. Malformed bytes throw <see cref="InvalidDataException"/>.
/// </summary>
public sealed class OnnxGraphReader
{
    private readonly Dictionary<string, ReadOnlyMemory<byte>> _initializers = new(StringComparer.Ordinal);

    private OnnxGraphReader(List<OnnxValueInfo> inputs, List<OnnxValueInfo> outputs, List<OnnxNodeInfo> nodes)
    {
        Inputs = inputs;
        Outputs = outputs;
        Nodes = nodes;
    }

    /// <summary>The graph's inputs that are not initializers (what a caller feeds), in order.</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; private set; }

    public IReadOnlyList<OnnxValueInfo> Outputs { get; }

    /// <summary>Nodes in the order the graph lists them (ONNX requires a topological order).</summary>
    public IReadOnlyList<OnnxNodeInfo> Nodes { get; }

    /// <summary>Names of the constant tensors (initializers).</summary>
    public IReadOnlyCollection<string> InitializerNames => _initializers.Keys;

    /// <summary>Parses a <c>ModelProto</c>; throws <see cref="InvalidDataException"/> when the bytes are not one with a graph.</summary>
    public static OnnxGraphReader Parse(ReadOnlyMemory<byte> model)
    {
        var modelFields = Proto.Parse(model);
        if (!modelFields.Any(f => f.Number == 1 && f.WireType == ProtoField.Varint))
        {
            throw new InvalidDataException("no ir_version: not an ONNX model");
        }

        var graph = modelFields.FirstOrDefault(f => f.Number == 7 && f.WireType == ProtoField.LengthDelimited);
        if (graph.Bytes.IsEmpty)
        {
            throw new InvalidDataException("the ONNX model has no graph");
        }

        var inputs = new List<OnnxValueInfo>();
        var outputs = new List<OnnxValueInfo>();
        var nodes = new List<OnnxNodeInfo>();
        var initializers = new List<(string Name, ReadOnlyMemory<byte> Tensor)>();
        foreach (var field in Proto.Parse(graph.Bytes))
        {
            if (field.WireType != ProtoField.LengthDelimited)
            {
                continue;
            }

            switch (field.Number)
            {
                case 1:
                    nodes.Add(ParseNode(field.Bytes));
                    break;
                case 5:
                    initializers.Add((Proto.Parse(field.Bytes).LastOrDefault(x => x.Number == 8 && x.WireType == ProtoField.LengthDelimited).AsString(), field.Bytes));
                    break;
                case 11:
                    inputs.Add(ParseValueInfo(field.Bytes));
                    break;
                case 12:
                    outputs.Add(ParseValueInfo(field.Bytes));
                    break;
            }
        }

        var reader = new OnnxGraphReader(inputs, outputs, nodes);
        foreach (var (name, tensor) in initializers)
        {
            reader._initializers[name] = tensor;
        }

        reader.Inputs = [.. inputs.Where(i => !reader._initializers.ContainsKey(i.Name))];
        return reader;
    }

    /// <summary>The float initializer <paramref name="name"/> and its dimensions, or null when there is no such float tensor.</summary>
    public float[]? FloatInitializer(string name, out long[] dims)
    {
        dims = [];
        if (!_initializers.TryGetValue(name, out var bytes))
        {
            return null;
        }

        var tensor = Proto.Parse(bytes);
        if (tensor.FirstOrDefault(x => x.Number == 2 && x.WireType == ProtoField.Varint).Value != OnnxValueInfo.FloatType)
        {
            return null;
        }

        dims = TensorDims(tensor);
        return FloatTensor(tensor);
    }

    /// <summary>
    /// The kernels of the first convolution that reads the image: the first <c>Conv</c> node whose weights are a 4-D
    /// float initializer (null when the graph has none).
    /// </summary>
    public ConvKernels? FirstConvolution(bool channelsBgr = false)
    {
        foreach (var node in Nodes.Where(n => n.OpType == "Conv" && n.Inputs.Count >= 2))
        {
            if (FloatInitializer(node.Inputs[1], out var dims) is { } weights && dims.Length == 4 && dims.All(d => d > 0) && weights.Length == dims[0] * dims[1] * dims[2] * dims[3])
            {
                return new ConvKernels(node.Name.Length > 0 ? node.Name : node.Inputs[1], weights, (int)dims[0], (int)dims[1], (int)dims[2], (int)dims[3], channelsBgr);
            }
        }

        return null;
    }

    /// <summary>A FLOAT <c>TensorProto</c>'s values: raw_data (field 9, little-endian) or float_data (field 4, packed or not).</summary>
    internal static float[] FloatTensor(List<ProtoField> tensor)
    {
        var type = tensor.FirstOrDefault(x => x.Number == 2);
        if (type.Value != OnnxValueInfo.FloatType)
        {
            throw new InvalidDataException($"tensor data type {type.Value}, expected FLOAT");
        }

        if (tensor.FirstOrDefault(x => x.Number == 9) is { Bytes.IsEmpty: false } raw)
        {
            return MemoryMarshal.Cast<byte, float>(raw.Bytes.Span).ToArray();
        }

        var packed = tensor.Where(x => x.Number == 4 && x.WireType == ProtoField.LengthDelimited).ToList();
        if (packed.Count > 0)
        {
            return packed.SelectMany(p => MemoryMarshal.Cast<byte, float>(p.Bytes.Span).ToArray()).ToArray();
        }

        return tensor.Where(x => x.Number == 4 && x.WireType == ProtoField.Fixed32).Select(x => BitConverter.UInt32BitsToSingle((uint)x.Value)).ToArray();
    }

    /// <summary>A <c>NodeProto</c>: input (1), output (2), name (3), op_type (4), attribute (5). The one node parser: every reader of nodes goes through it.</summary>
    internal static OnnxNodeInfo ParseNode(ReadOnlyMemory<byte> bytes)
    {
        var fields = Proto.Parse(bytes);
        string Text(int number) => fields.LastOrDefault(x => x.Number == number && x.WireType == ProtoField.LengthDelimited).AsString();
        return new OnnxNodeInfo(
            Text(3),
            Text(4),
            [.. fields.Where(x => x.Number == 1 && x.WireType == ProtoField.LengthDelimited).Select(x => x.AsString())],
            [.. fields.Where(x => x.Number == 2 && x.WireType == ProtoField.LengthDelimited).Select(x => x.AsString())],
            [.. fields.Where(x => x.Number == 5 && x.WireType == ProtoField.LengthDelimited).Select(x => ParseAttribute(x.Bytes))]);
    }

    /// <summary>AttributeProto: name (1), f (2, fixed32), i (3), s (4), floats (7, packed or not), ints (8, packed or not).</summary>
    private static OnnxAttribute ParseAttribute(ReadOnlyMemory<byte> bytes)
    {
        var fields = Proto.Parse(bytes);
        var name = fields.LastOrDefault(x => x.Number == 1 && x.WireType == ProtoField.LengthDelimited).AsString();
        float? single = fields.LastOrDefault(x => x.Number == 2 && x.WireType == ProtoField.Fixed32) is { Number: 2 } f ? BitConverter.UInt32BitsToSingle((uint)f.Value) : null;
        long? integer = fields.LastOrDefault(x => x.Number == 3 && x.WireType == ProtoField.Varint) is { Number: 3 } i ? unchecked((long)i.Value) : null;
        string? text = fields.LastOrDefault(x => x.Number == 4 && x.WireType == ProtoField.LengthDelimited) is { Number: 4 } t ? t.AsString() : null;
        var floats = fields.Where(x => x.Number == 7).SelectMany(x => x.WireType == ProtoField.LengthDelimited
            ? MemoryMarshal.Cast<byte, float>(x.Bytes.Span).ToArray()
            : [BitConverter.UInt32BitsToSingle((uint)x.Value)]).ToArray();
        return new OnnxAttribute(name, single, integer, floats, Varints(fields, 8), text, bytes);
    }

    /// <summary>The values of repeated int64 field <paramref name="number"/>, packed or not.</summary>
    internal static long[] Varints(List<ProtoField> fields, int number) =>
        [.. fields.Where(x => x.Number == number).SelectMany(x => x.WireType == ProtoField.LengthDelimited ? Proto.ParsePackedVarints(x.Bytes.Span).Select(v => unchecked((long)v)) : [unchecked((long)x.Value)])];

    /// <summary>A <c>TensorProto</c>'s dimensions (field 1, packed or not).</summary>
    internal static long[] TensorDims(List<ProtoField> tensor) => Varints(tensor, 1);

    /// <summary>ValueInfoProto: name (1), type (2) -> TypeProto.tensor_type (1) -> elem_type (1), shape (2) -> dim (1) -> dim_value (1) | dim_param (2).</summary>
    private static OnnxValueInfo ParseValueInfo(ReadOnlyMemory<byte> bytes)
    {
        var fields = Proto.Parse(bytes);
        var name = fields.LastOrDefault(x => x.Number == 1 && x.WireType == ProtoField.LengthDelimited).AsString();
        var type = fields.LastOrDefault(x => x.Number == 2 && x.WireType == ProtoField.LengthDelimited);
        var tensorType = type.Bytes.IsEmpty ? default : Proto.Parse(type.Bytes).LastOrDefault(x => x.Number == 1 && x.WireType == ProtoField.LengthDelimited);
        if (tensorType.Bytes.IsEmpty)
        {
            return new OnnxValueInfo(name, 0, []);
        }

        var tensorFields = Proto.Parse(tensorType.Bytes);
        var elementType = (int)tensorFields.LastOrDefault(x => x.Number == 1 && x.WireType == ProtoField.Varint).Value;
        var shape = tensorFields.LastOrDefault(x => x.Number == 2 && x.WireType == ProtoField.LengthDelimited);
        var dims = shape.Bytes.IsEmpty
            ? []
            : Proto.Parse(shape.Bytes).Where(x => x.Number == 1 && x.WireType == ProtoField.LengthDelimited)
                .Select(d => Proto.Parse(d.Bytes).Where(x => x.Number == 1 && x.WireType == ProtoField.Varint).Select(x => (long)x.Value).DefaultIfEmpty(-1L).Last())
                .ToList();
        return new OnnxValueInfo(name, elementType, dims);
    }
}
