using static ImageWorkbench.Runtime.Cnn.OnnxNodes;

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
                    initializers.Add(FloatTensor(output + ".w", [c.OutChannels, c.InChannels, c.Kernel, c.Kernel], c.Weight));
                    initializers.Add(FloatTensor(output + ".b", [c.OutChannels], c.Bias));
                    nodes.Add(Node(output, "Conv", [current, output + ".w", output + ".b"], output,
                        IntsAttribute("kernel_shape", c.Kernel, c.Kernel), IntsAttribute("pads", c.Padding, c.Padding, c.Padding, c.Padding), IntsAttribute("strides", 1, 1)));
                    break;
                case OnnxRelu:
                    nodes.Add(Node(output, "Relu", [current], output));
                    break;
                case OnnxMaxPool p:
                    nodes.Add(Node(output, "MaxPool", [current], output, IntsAttribute("kernel_shape", p.Kernel, p.Kernel), IntsAttribute("strides", p.Stride, p.Stride)));
                    break;
                case OnnxFlatten:
                    nodes.Add(Node(output, "Flatten", [current], output, IntAttribute("axis", 1)));
                    break;
                case OnnxDense d:
                    CheckLength(d.Weight, (long)d.Outputs * d.Inputs, i);
                    CheckLength(d.Bias, d.Outputs, i);
                    initializers.Add(FloatTensor(output + ".w", [d.Outputs, d.Inputs], d.Weight));
                    initializers.Add(FloatTensor(output + ".b", [d.Outputs], d.Bias));
                    nodes.Add(Node(output, "Gemm", [current, output + ".w", output + ".b"], output, IntAttribute("transB", 1)));
                    break;
                default:
                    throw new ArgumentException($"layer {i}: {layers[i].GetType().Name} cannot be exported", nameof(layers));
            }

            current = output;
        }

        nodes.Add(Node(OutputName, "Softmax", [current], OutputName, IntAttribute("axis", 1)));
        var graph = new List<ProtoField>(nodes) { ProtoField.OfString(2, "classifier") };
        graph.AddRange(initializers);
        graph.Add(ValueInfo(11, InputName, false, channels, height, width));
        graph.Add(ValueInfo(12, OutputName, false, classCount));
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
}
