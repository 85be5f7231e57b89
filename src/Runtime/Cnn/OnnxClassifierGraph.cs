using System.Runtime.InteropServices;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>One layer of a trained network as <see cref="OnnxClassifierGraph"/> writes it (weights as plain arrays).</summary>
public abstract record OnnxLayer;

/// <summary>
/// A 2-D convolution, square kernel, stride 1, with bias (a batch norm after it is folded in before export).
/// <paramref name="Weight"/> is [out, in, k, k] row-major, as PyTorch/TorchSharp hold it.
/// </summary>
public sealed record OnnxConvolution(float[] Weight, float[] Bias, int OutChannels, int InChannels, int Kernel, int Padding) : OnnxLayer;

/// <summary>Rectified linear unit.</summary>
public sealed record OnnxRelu : OnnxLayer;

/// <summary>Max pooling with a square window.</summary>
public sealed record OnnxMaxPool(int Kernel, int Stride) : OnnxLayer;

/// <summary>Flattens [N, C, H, W] to [N, C*H*W] (C-major, like <c>torch.flatten(x, 1)</c>).</summary>
public sealed record OnnxFlatten : OnnxLayer;

/// <summary>A fully connected layer: <paramref name="Weight"/> is [out, in] row-major (PyTorch's <c>Linear</c>).</summary>
public sealed record OnnxDense(float[] Weight, float[] Bias, int Outputs, int Inputs) : OnnxLayer;

/// <summary>
/// Writes a trained feed-forward image classifier as an ONNX model (opset 13) that ONNX Runtime, and so ML.NET's
/// <c>ApplyOnnxModel</c>, runs without the library that trained it: input <see cref="InputName"/> float
/// [1, C, H, W], output <see cref="OutputName"/> float [1, classes], the softmax of the last layer. The protobuf is
/// written with the runtime's own wire-format writer (<see cref="Proto"/>); no ONNX or protobuf package is needed.
/// </summary>
public static class OnnxClassifierGraph
{
    public const string InputName = "Pixels";

    public const string OutputName = "Score";

    private const int FloatType = 1;

    /// <summary>The ONNX model bytes of <paramref name="layers"/> applied to a [1, channels, height, width] input, then softmax.</summary>
    public static byte[] Build(int channels, int height, int width, IReadOnlyList<OnnxLayer> layers, int classCount, string producer)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0 || layers[^1] is not OnnxDense { Outputs: var outputs } || outputs != classCount)
        {
            throw new ArgumentException($"the last layer must be a dense layer with {classCount} outputs", nameof(layers));
        }

        var nodes = new List<ProtoField>();
        var initializers = new List<ProtoField>();
        var current = InputName;
        for (var i = 0; i < layers.Count; i++)
        {
            var output = "t" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            switch (layers[i])
            {
                case OnnxConvolution c:
                    CheckLength(c.Weight, (long)c.OutChannels * c.InChannels * c.Kernel * c.Kernel, i);
                    CheckLength(c.Bias, c.OutChannels, i);
                    initializers.Add(Tensor(output + ".w", c.Weight, [c.OutChannels, c.InChannels, c.Kernel, c.Kernel]));
                    initializers.Add(Tensor(output + ".b", c.Bias, [c.OutChannels]));
                    nodes.Add(Node("Conv", [current, output + ".w", output + ".b"], output,
                        Ints("kernel_shape", c.Kernel, c.Kernel), Ints("pads", c.Padding, c.Padding, c.Padding, c.Padding), Ints("strides", 1, 1)));
                    break;
                case OnnxRelu:
                    nodes.Add(Node("Relu", [current], output));
                    break;
                case OnnxMaxPool p:
                    nodes.Add(Node("MaxPool", [current], output, Ints("kernel_shape", p.Kernel, p.Kernel), Ints("strides", p.Stride, p.Stride)));
                    break;
                case OnnxFlatten:
                    nodes.Add(Node("Flatten", [current], output, Int("axis", 1)));
                    break;
                case OnnxDense d:
                    CheckLength(d.Weight, (long)d.Outputs * d.Inputs, i);
                    CheckLength(d.Bias, d.Outputs, i);
                    initializers.Add(Tensor(output + ".w", d.Weight, [d.Outputs, d.Inputs]));
                    initializers.Add(Tensor(output + ".b", d.Bias, [d.Outputs]));
                    nodes.Add(Node("Gemm", [current, output + ".w", output + ".b"], output, Int("transB", 1)));
                    break;
                default:
                    throw new ArgumentException($"layer {i}: {layers[i].GetType().Name} cannot be exported", nameof(layers));
            }

            current = output;
        }

        nodes.Add(Node("Softmax", [current], OutputName, Int("axis", 1)));
        var graph = new List<ProtoField>(nodes) { ProtoField.OfString(2, "classifier") };
        graph.AddRange(initializers);
        graph.Add(ValueInfo(11, InputName, [1, channels, height, width]));
        graph.Add(ValueInfo(12, OutputName, [1, classCount]));
        return Proto.Serialize(
        [
            ProtoField.OfVarint(1, 8), // ir_version
            ProtoField.OfString(2, producer),
            ProtoField.OfMessage(8, [ProtoField.OfString(1, string.Empty), ProtoField.OfVarint(2, 13)]), // opset_import
            ProtoField.OfMessage(7, graph),
        ]);
    }

    private static void CheckLength(float[] values, long expected, int layer)
    {
        if (values.Length != expected)
        {
            throw new ArgumentException($"layer {layer}: {values.Length} values where the shape holds {expected}");
        }
    }

    private static ProtoField Node(string op, string[] inputs, string output, params ProtoField[] attributes)
    {
        var fields = inputs.Select(i => ProtoField.OfString(1, i)).ToList();
        fields.Add(ProtoField.OfString(2, output));
        fields.Add(ProtoField.OfString(3, output));
        fields.Add(ProtoField.OfString(4, op));
        fields.AddRange(attributes);
        return ProtoField.OfMessage(1, fields);
    }

    private static ProtoField Ints(string name, params long[] values)
    {
        var fields = new List<ProtoField> { ProtoField.OfString(1, name), ProtoField.OfVarint(20, 7) }; // INTS
        fields.AddRange(values.Select(v => ProtoField.OfVarint(8, unchecked((ulong)v))));
        return ProtoField.OfMessage(5, fields);
    }

    private static ProtoField Int(string name, long value) =>
        ProtoField.OfMessage(5, [ProtoField.OfString(1, name), ProtoField.OfVarint(3, unchecked((ulong)value)), ProtoField.OfVarint(20, 2)]); // INT

    private static ProtoField Tensor(string name, float[] values, long[] dims)
    {
        var fields = dims.Select(d => ProtoField.OfVarint(1, (ulong)d)).ToList();
        fields.Add(ProtoField.OfVarint(2, FloatType));
        fields.Add(ProtoField.OfString(8, name));
        fields.Add(ProtoField.OfBytes(9, MemoryMarshal.AsBytes(values.AsSpan()).ToArray())); // raw_data, little-endian
        return ProtoField.OfMessage(5, fields);
    }

    private static ProtoField ValueInfo(int field, string name, long[] dims)
    {
        var shape = dims.Select(d => ProtoField.OfMessage(1, [ProtoField.OfVarint(1, (ulong)d)]));
        var tensorType = ProtoField.OfMessage(1, [ProtoField.OfVarint(1, FloatType), ProtoField.OfMessage(2, shape)]);
        return ProtoField.OfMessage(field, [ProtoField.OfString(1, name), ProtoField.OfMessage(2, [tensorType])]);
    }
}
