using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>
/// One field of a protobuf message as it appears on the wire: its number, wire type and either the varint
/// / fixed value (<see cref="Value"/>) or the payload of a length-delimited field (<see cref="Bytes"/>).
/// </summary>
internal readonly record struct ProtoField(int Number, int WireType, ulong Value, ReadOnlyMemory<byte> Bytes)
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int Fixed32 = 5;

    public string AsString() => Encoding.UTF8.GetString(Bytes.Span);

    public static ProtoField OfVarint(int number, ulong value) => new(number, Varint, value, ReadOnlyMemory<byte>.Empty);

    public static ProtoField OfBytes(int number, ReadOnlyMemory<byte> bytes) => new(number, LengthDelimited, 0, bytes);

    public static ProtoField OfString(int number, string value) => OfBytes(number, Encoding.UTF8.GetBytes(value));

    public static ProtoField OfMessage(int number, IEnumerable<ProtoField> fields) => OfBytes(number, Proto.Serialize(fields));
}

/// <summary>
/// A minimal protobuf wire-format reader/writer, enough to edit ONNX model files (a <c>ModelProto</c>)
/// without a protobuf package: fields are read as raw slices (no copy of the 64 MB of weights) and
/// written back in order, so everything not edited is preserved byte for byte.
/// </summary>
internal static class Proto
{
    public static List<ProtoField> Parse(ReadOnlyMemory<byte> message)
    {
        var fields = new List<ProtoField>();
        var span = message.Span;
        int pos = 0;
        while (pos < span.Length)
        {
            ulong key = ReadVarint(span, ref pos);
            int number = checked((int)(key >> 3));
            int wire = (int)(key & 7);
            switch (wire)
            {
                case ProtoField.Varint:
                    fields.Add(new ProtoField(number, wire, ReadVarint(span, ref pos), ReadOnlyMemory<byte>.Empty));
                    break;
                case ProtoField.Fixed64:
                    Need(span, pos, 8);
                    fields.Add(new ProtoField(number, wire, BitConverter.ToUInt64(span.Slice(pos, 8)), ReadOnlyMemory<byte>.Empty));
                    pos += 8;
                    break;
                case ProtoField.LengthDelimited:
                    int length = checked((int)ReadVarint(span, ref pos));
                    Need(span, pos, length);
                    fields.Add(new ProtoField(number, wire, 0, message.Slice(pos, length)));
                    pos += length;
                    break;
                case ProtoField.Fixed32:
                    Need(span, pos, 4);
                    fields.Add(new ProtoField(number, wire, BitConverter.ToUInt32(span.Slice(pos, 4)), ReadOnlyMemory<byte>.Empty));
                    pos += 4;
                    break;
                default:
                    throw new InvalidDataException($"unsupported protobuf wire type {wire} (field {number}) at byte {pos}");
            }
        }

        return fields;
    }

    /// <summary>A packed repeated varint field (e.g. a tensor's dims) as its values.</summary>
    public static List<ulong> ParsePackedVarints(ReadOnlySpan<byte> packed)
    {
        var values = new List<ulong>();
        int pos = 0;
        while (pos < packed.Length)
        {
            values.Add(ReadVarint(packed, ref pos));
        }

        return values;
    }

    /// <summary>Serializes into an array of exactly the right size (the model is 64 MB: no doubling buffers).</summary>
    public static byte[] Serialize(IEnumerable<ProtoField> fields)
    {
        var list = fields as IReadOnlyList<ProtoField> ?? fields.ToList();
        long size = 0;
        foreach (var f in list)
        {
            size += VarintLength(((ulong)f.Number << 3) | (uint)f.WireType) + f.WireType switch
            {
                ProtoField.Varint => VarintLength(f.Value),
                ProtoField.Fixed64 => 8,
                ProtoField.Fixed32 => 4,
                _ => VarintLength((ulong)f.Bytes.Length) + f.Bytes.Length,
            };
        }

        var result = new byte[checked((int)size)];
        var writer = new SpanWriter(result);
        Write(writer, list);
        if (writer.Written != result.Length)
        {
            throw new InvalidOperationException("protobuf size mismatch");
        }

        return result;
    }

    private static int VarintLength(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }

        return n;
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> over a fixed array.</summary>
    private sealed class SpanWriter(byte[] buffer) : IBufferWriter<byte>
    {
        public int Written { get; private set; }

        public void Advance(int count) => Written += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => buffer.AsMemory(Written);

        public Span<byte> GetSpan(int sizeHint = 0) => buffer.AsSpan(Written);
    }

    public static void Write(IBufferWriter<byte> writer, IEnumerable<ProtoField> fields)
    {
        foreach (var f in fields)
        {
            WriteVarint(writer, ((ulong)f.Number << 3) | (uint)f.WireType);
            switch (f.WireType)
            {
                case ProtoField.Varint:
                    WriteVarint(writer, f.Value);
                    break;
                case ProtoField.Fixed64:
                    BitConverter.TryWriteBytes(writer.GetSpan(8), f.Value);
                    writer.Advance(8);
                    break;
                case ProtoField.Fixed32:
                    BitConverter.TryWriteBytes(writer.GetSpan(4), (uint)f.Value);
                    writer.Advance(4);
                    break;
                default:
                    WriteVarint(writer, (ulong)f.Bytes.Length);
                    writer.Write(f.Bytes.Span);
                    break;
            }
        }
    }

    private static void Need(ReadOnlySpan<byte> span, int pos, int count)
    {
        if (count < 0 || pos + count > span.Length)
        {
            throw new InvalidDataException($"truncated protobuf message: need {count} bytes at {pos} of {span.Length}");
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int pos)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            Need(span, pos, 1);
            byte b = span[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new InvalidDataException("malformed protobuf varint");
    }

    private static void WriteVarint(IBufferWriter<byte> writer, ulong value)
    {
        var span = writer.GetSpan(10);
        int n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        writer.Advance(n);
    }
}

/// <summary>
/// Checks that an ONNX model (<c>ModelProto</c>) is self-contained: no tensor anywhere in it (initializers,
/// sparse initializers, node attributes, subgraphs of If/Loop/Scan, functions, training graphs) keeps its
/// data in an external file. ONNX Runtime resolves such a reference relative to the model file, which for a
/// model loaded from a package is a temp folder shared with other users: a crafted package could read any
/// file there. Also refuses tensors declaring more elements than a model of this workbench could hold.
/// </summary>
internal static class OnnxSelfContainedCheck
{
    /// <summary>ONNX nests graphs in attributes; real models nest a few levels, a crafted one could nest until the stack ends.</summary>
    private const int MaxDepth = 64;

    /// <summary>Largest element count a tensor may declare (1 G floats is 4 GB, far beyond ResNet18's 11 M weights).</summary>
    private const long MaxTensorElements = 1L << 28;

    private enum Kind
    {
        Model,
        Graph,
        Node,
        Attribute,
        Tensor,
        SparseTensor,
        Function,
        TrainingInfo,
    }

    /// <summary>The problem, naming the tensor and the external file it points to, or null when the model is self-contained.</summary>
    public static string? FindProblem(ReadOnlyMemory<byte> model) => Scan(model, Kind.Model, 0);

    private static string? Scan(ReadOnlyMemory<byte> message, Kind kind, int depth)
    {
        if (depth > MaxDepth)
        {
            return $"the ONNX model nests more than {MaxDepth} levels of graphs";
        }

        var fields = Proto.Parse(message);
        if (kind == Kind.Tensor)
        {
            return TensorProblem(fields);
        }

        foreach (var field in fields)
        {
            if (field.WireType != ProtoField.LengthDelimited || Child(kind, field.Number) is not { } child)
            {
                continue;
            }

            if (Scan(field.Bytes, child, depth + 1) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>Which message a field holds, for the fields that can lead to a tensor (field numbers from onnx.proto).</summary>
    private static Kind? Child(Kind parent, int number) => (parent, number) switch
    {
        (Kind.Model, 7) => Kind.Graph,
        (Kind.Model, 20) => Kind.TrainingInfo,
        (Kind.Model, 25) => Kind.Function,
        (Kind.TrainingInfo, 1 or 2) => Kind.Graph,
        (Kind.Function, 7) => Kind.Node,
        (Kind.Function, 11) => Kind.Attribute,
        (Kind.Graph, 1) => Kind.Node,
        (Kind.Graph, 5) => Kind.Tensor,
        (Kind.Graph, 15) => Kind.SparseTensor,
        (Kind.Node, 5) => Kind.Attribute,
        (Kind.Attribute, 5 or 10) => Kind.Tensor,
        (Kind.Attribute, 6 or 11) => Kind.Graph,
        (Kind.Attribute, 22 or 23) => Kind.SparseTensor,
        (Kind.SparseTensor, 1 or 2) => Kind.Tensor,
        _ => null,
    };

    private static string? TensorProblem(List<ProtoField> tensor)
    {
        const int dimsField = 1, nameField = 8, externalDataField = 13, dataLocationField = 14;
        const ulong external = 1;
        var name = tensor.LastOrDefault(f => f.Number == nameField && f.WireType == ProtoField.LengthDelimited) is { Bytes.IsEmpty: false } n ? n.AsString() : "(unnamed)";
        var location = tensor.Where(f => f.Number == externalDataField && f.WireType == ProtoField.LengthDelimited)
            .Select(f => Proto.Parse(f.Bytes))
            .Where(entry => entry.Any(x => x.Number == 1 && x.WireType == ProtoField.LengthDelimited && x.AsString() == "location"))
            .Select(entry => entry.LastOrDefault(x => x.Number == 2 && x.WireType == ProtoField.LengthDelimited).AsString())
            .LastOrDefault();
        if (location is not null || tensor.Any(f => f.Number is externalDataField)
            || tensor.Any(f => f.Number == dataLocationField && f.WireType == ProtoField.Varint && f.Value == external))
        {
            return $"tensor {MessageText.Quoted(name)} of the ONNX model reads its data from an external file {MessageText.Quoted(location ?? "(unnamed)")}; a package must hold all its data";
        }

        long elements = 1;
        foreach (var dim in Dims(tensor, dimsField))
        {
            if (dim < 0 || (dim > 0 && elements > MaxTensorElements / dim))
            {
                return $"tensor {MessageText.Quoted(name)} of the ONNX model declares an impossible shape";
            }

            elements *= dim;
        }

        return null;
    }

    /// <summary>Repeated int64 field, packed (one length-delimited run of varints) or not.</summary>
    private static IEnumerable<long> Dims(List<ProtoField> tensor, int number)
    {
        foreach (var field in tensor.Where(f => f.Number == number))
        {
            if (field.WireType == ProtoField.Varint)
            {
                yield return (long)field.Value;
            }
            else if (field.WireType == ProtoField.LengthDelimited)
            {
                foreach (var value in Proto.ParsePackedVarints(field.Bytes.Span))
                {
                    yield return (long)value;
                }
            }
        }
    }
}

/// <summary>ONNX messages (field numbers from onnx.proto) that the runtime's graph writers share.</summary>
internal static class OnnxNodes
{
    /// <summary>A graph input (field 11) or output (12): float, first dimension 1 or the symbolic batch "N", then <paramref name="dims"/>.</summary>
    public static ProtoField ValueInfo(int fieldNumber, string name, bool symbolicBatch, params int[] dims)
    {
        var dimFields = new List<ProtoField>
        {
            ProtoField.OfMessage(1, [symbolicBatch ? ProtoField.OfString(2, "N") : ProtoField.OfVarint(1, 1)]),
        };
        dimFields.AddRange(dims.Select(d => ProtoField.OfMessage(1, [ProtoField.OfVarint(1, (ulong)d)])));
        var tensorType = ProtoField.OfMessage(1, [ProtoField.OfVarint(1, 1 /* FLOAT */), ProtoField.OfMessage(2, dimFields)]);
        return ProtoField.OfMessage(fieldNumber, [ProtoField.OfString(1, name), ProtoField.OfMessage(2, [tensorType])]);
    }

    public static ProtoField Node(string name, string opType, string[] inputs, string output, params ProtoField[] attributes)
    {
        var fields = inputs.Select(i => ProtoField.OfString(1, i)).ToList();
        fields.Add(ProtoField.OfString(2, output));
        fields.Add(ProtoField.OfString(3, name));
        fields.Add(ProtoField.OfString(4, opType));
        fields.AddRange(attributes);
        return ProtoField.OfMessage(1, fields);
    }

    public static ProtoField IntAttribute(string name, long value) =>
        ProtoField.OfMessage(5, [ProtoField.OfString(1, name), ProtoField.OfVarint(3, (ulong)value), ProtoField.OfVarint(20, 2 /* INT */)]);

    public static ProtoField IntsAttribute(string name, params long[] values)
    {
        var fields = new List<ProtoField> { ProtoField.OfString(1, name), ProtoField.OfVarint(20, 7) }; // INTS
        fields.AddRange(values.Select(v => ProtoField.OfVarint(8, unchecked((ulong)v))));
        return ProtoField.OfMessage(5, fields);
    }

    public static ProtoField Int64Tensor(string name, long[] dims, long[] values) => Tensor(name, dims, 7 /* INT64 */, MemoryMarshal.AsBytes(values.AsSpan()));

    public static ProtoField FloatTensor(string name, long[] dims, float[] values) => Tensor(name, dims, 1 /* FLOAT */, MemoryMarshal.AsBytes(values.AsSpan()));

    /// <summary>An initializer (graph field 5): a <c>TensorProto</c> with its dims, element type, name and raw little-endian data.</summary>
    private static ProtoField Tensor(string name, long[] dims, int elementType, ReadOnlySpan<byte> data)
    {
        var fields = dims.Select(d => ProtoField.OfVarint(1, (ulong)d)).ToList();
        fields.Add(ProtoField.OfVarint(2, (ulong)elementType));
        fields.Add(ProtoField.OfString(8, name));
        fields.Add(ProtoField.OfBytes(9, data.ToArray()));
        return ProtoField.OfMessage(5, fields);
    }
}
