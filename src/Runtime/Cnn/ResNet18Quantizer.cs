using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using static ImageWorkbench.Runtime.Cnn.OnnxNodes;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>
/// Builds the int8 (QDQ) ResNet18 from the packaged float network, in C# (no Python, no download): static
/// quantisation with activation ranges calibrated on training images (<see cref="CalibrationModel"/> +
/// <see cref="RangeCollector"/>; the shipped table is <see cref="ResNet18Int8.Ranges"/>), weights per output channel.
/// </summary>
/// <remarks>
/// <para>Rewrite of the float graph (Conv without bias, BatchNormalization, Relu, Add, MaxPool, AveragePool):
/// every BatchNormalization is folded into its Conv (weights scaled per output channel, a bias added); weights become
/// int8, symmetric, one scale per output channel (<c>DequantizeLinear</c> with <c>axis</c> 0), the bias int32 with
/// scale input scale x weight scale; every activation a Conv or Add reads is uint8 (asymmetric, one scale per
/// tensor, from the calibrated range) through a <c>QuantizeLinear</c> / <c>DequantizeLinear</c> pair, one
/// <c>DequantizeLinear</c> per consumer. A Relu after a Conv or Add is dropped: its output is quantised with zero
/// point 0, which clamps negatives exactly as the Relu did (ONNX Runtime's own Relu/Q fusion). MaxPool keeps its
/// input's scale; the final pool runs in float. ONNX Runtime then fuses the groups into QLinearConv / QLinearAdd
/// (u8 activations x s8 weights: AVX-512 VNNI or AVX2 kernels on x64). Opset 13 (per-channel DequantizeLinear).</para>
/// </remarks>
public static class ResNet18Quantizer
{
    private const int OpsetVersion = 13;
    private const int IrVersion = 7;
    private const int FloatType = 1;
    private const int Uint8Type = 2;
    private const int Int8Type = 3;
    private const int Int32Type = 6;

    /// <summary>
    /// The float graph with every tensor the quantiser needs a range for added as a graph output (names in
    /// <paramref name="tensors"/>): the network input, every BatchNormalization output (a Conv's) and every Relu output.
    /// </summary>
    public static byte[] CalibrationModel(byte[] floatModel, out IReadOnlyList<string> tensors)
    {
        ArgumentNullException.ThrowIfNull(floatModel);
        var model = Proto.Parse(floatModel);
        var graph = Proto.Parse(GraphField(model).Bytes);
        var nodes = OnnxGraphReader.Parse(floatModel).Nodes;
        var names = new List<string> { ResNet18Model.NetworkInputName };
        names.AddRange(nodes.Where(n => n.OpType is "BatchNormalization" or "Relu" or "Add").Select(n => n.Outputs[0]));
        tensors = names;
        var newGraph = new List<ProtoField>(graph);
        newGraph.AddRange(names.Select(n => ProtoField.OfMessage(12, [ProtoField.OfString(1, n), ProtoField.OfMessage(2, [ProtoField.OfMessage(1, [ProtoField.OfVarint(1, FloatType)])])])));
        return Proto.Serialize(model.Select(f => f.Number == 7 ? ProtoField.OfMessage(7, newGraph) : f).ToList());
    }

    /// <summary>
    /// The int8 QDQ graph of <paramref name="floatModel"/> (the packaged network, possibly rewritten by
    /// <see cref="ResNet18Model.RewriteNetwork"/>) with activation ranges <paramref name="ranges"/> (tensor name to
    /// min / max, as <see cref="RangeCollector"/> gives). Deterministic: same inputs, same bytes.
    /// </summary>
    public static byte[] Quantize(byte[] floatModel, IReadOnlyDictionary<string, (float Min, float Max)> ranges)
    {
        ArgumentNullException.ThrowIfNull(floatModel);
        ArgumentNullException.ThrowIfNull(ranges);
        var model = Proto.Parse(floatModel);
        var graph = Proto.Parse(GraphField(model).Bytes);
        var reader = OnnxGraphReader.Parse(floatModel);
        var initializers = reader.InitializerNames.ToHashSet(StringComparer.Ordinal);
        var nodes = reader.Nodes;
        var producers = nodes.ToDictionary(n => n.Outputs[0], StringComparer.Ordinal);
        var consumers = nodes.SelectMany(n => n.Inputs.Select(i => (Input: i, Node: n))).ToLookup(x => x.Input, x => x.Node, StringComparer.Ordinal);
        var b = new QdqBuilder(ranges);

        // Quantised tensors: name -> (scale, zero point) of its uint8 form; the float name then means "dequantised".
        b.QuantizeActivation(ResNet18Model.NetworkInputName, ResNet18Model.NetworkInputName);
        var dropped = new Dictionary<string, string>(StringComparer.Ordinal); // Relu output -> its input (Relu dropped)
        foreach (var node in nodes)
        {
            switch (node.OpType)
            {
                case "Conv":
                {
                    var bn = consumers[node.Outputs[0]].Single(n => n.OpType == "BatchNormalization");
                    string output = bn.Outputs[0];
                    string rangeOf = output;
                    if (consumers[output].ToList() is [{ OpType: "Relu" } relu])
                    {
                        dropped[relu.Outputs[0]] = output;
                        rangeOf = relu.Outputs[0];
                    }

                    var (weights, bias) = FoldBatchNorm(node, bn, reader);
                    b.Conv(node, Resolve(node.Inputs[0], dropped), weights, bias, output, rangeOf);
                    break;
                }

                case "Add":
                {
                    string output = node.Outputs[0];
                    string rangeOf = output;
                    if (consumers[output].ToList() is [{ OpType: "Relu" } relu])
                    {
                        dropped[relu.Outputs[0]] = output;
                        rangeOf = relu.Outputs[0];
                    }

                    b.Add(node, node.Inputs.Select(i => Resolve(i, dropped)).ToArray(), output, rangeOf);
                    break;
                }

                case "MaxPool":
                    b.MaxPool(node, Resolve(node.Inputs[0], dropped));
                    break;
                case "AveragePool" or "GlobalAveragePool":
                    b.FloatNode(node, Resolve(node.Inputs[0], dropped));
                    break;
                case "BatchNormalization" or "Relu":
                    if (node.OpType == "Relu" && !dropped.ContainsKey(node.Outputs[0]))
                    {
                        throw new InvalidDataException($"Relu {node.Name} does not follow a Conv or Add");
                    }

                    if (node.OpType == "BatchNormalization" && !(producers.TryGetValue(node.Inputs[0], out var conv) && conv.OpType == "Conv"))
                    {
                        throw new InvalidDataException($"BatchNormalization {node.Name} does not follow a Conv");
                    }

                    break; // folded into the Conv / the following QuantizeLinear
                default:
                    throw new InvalidDataException($"the int8 quantiser does not know op {node.OpType} ({node.Name})");
            }
        }

        var newGraph = new List<ProtoField>();
        newGraph.AddRange(b.Nodes);
        newGraph.AddRange(graph.Where(f => f.Number == 2)); // name
        newGraph.AddRange(b.Initializers);
        newGraph.AddRange(graph.Where(f => f.Number is 11 or 12 && !initializers.Contains(ValueInfoName(f))));
        var newModel = new List<ProtoField> { ProtoField.OfVarint(1, IrVersion) };
        newModel.AddRange(model.Where(f => f.Number is not (1 or 7 or 8)));
        newModel.Add(ProtoField.OfMessage(7, newGraph));
        newModel.Add(ProtoField.OfMessage(8, [ProtoField.OfString(1, ""), ProtoField.OfVarint(2, OpsetVersion)]));
        return Proto.Serialize(newModel);
    }

    private static string Resolve(string tensor, Dictionary<string, string> dropped) => dropped.TryGetValue(tensor, out var inner) ? inner : tensor;

    private static string ValueInfoName(ProtoField f) => Proto.Parse(f.Bytes).First(x => x.Number == 1).AsString();

    private static ProtoField GraphField(List<ProtoField> model) =>
        model.FirstOrDefault(f => f.Number == 7 && f.WireType == ProtoField.LengthDelimited) is { Bytes.IsEmpty: false } g ? g : throw new InvalidDataException("no graph");

    /// <summary>Conv weights [M, C, kh, kw] and BatchNormalization folded: W' = W x g / sqrt(v + e) per output channel, b' = beta - mean x g / sqrt(v + e).</summary>
    private static (Weights Weights, float[] Bias) FoldBatchNorm(OnnxNodeInfo conv, OnnxNodeInfo bn, OnnxGraphReader initializers)
    {
        if (conv.Inputs.Count != 2)
        {
            throw new InvalidDataException($"Conv {conv.Name} has a bias; the quantiser expects the CNTK export's bias-free Conv");
        }

        var w = ReadTensor(initializers, conv.Inputs[1]);
        var scale = ReadTensor(initializers, bn.Inputs[1]).Values;
        var beta = ReadTensor(initializers, bn.Inputs[2]).Values;
        var mean = ReadTensor(initializers, bn.Inputs[3]).Values;
        var variance = ReadTensor(initializers, bn.Inputs[4]).Values;
        float epsilon = bn.FloatOf("epsilon") ?? 1e-5f;
        int m = (int)w.Dims[0];
        int per = w.Values.Length / m;
        var folded = new float[w.Values.Length];
        var bias = new float[m];
        for (int c = 0; c < m; c++)
        {
            float k = scale[c] / MathF.Sqrt(variance[c] + epsilon);
            TensorPrimitivesMultiply(w.Values.AsSpan(c * per, per), k, folded.AsSpan(c * per, per));
            bias[c] = beta[c] - (mean[c] * k);
        }

        return (w with { Values = folded }, bias);
    }

    private static void TensorPrimitivesMultiply(ReadOnlySpan<float> x, float k, Span<float> destination) =>
        System.Numerics.Tensors.TensorPrimitives.Multiply(x, k, destination);

    private static Weights ReadTensor(OnnxGraphReader initializers, string name) =>
        initializers.FloatInitializer(name, out var dims) is { } values ? new Weights(dims, values) : throw new InvalidDataException($"float initializer {name} not found");

    private sealed record Weights(long[] Dims, float[] Values);

    /// <summary><paramref name="node"/> as a NodeProto with new inputs and output (and operator), its attributes copied as they are.</summary>
    private static ProtoField ToProto(OnnxNodeInfo node, string[] inputs, string output, string? opType = null)
    {
        var fields = inputs.Select(i => ProtoField.OfString(1, i)).ToList();
        fields.Add(ProtoField.OfString(2, output));
        fields.Add(ProtoField.OfString(3, node.Name));
        fields.Add(ProtoField.OfString(4, opType ?? node.OpType));
        fields.AddRange(node.Attributes.Select(a => ProtoField.OfBytes(5, a.Raw)));
        return ProtoField.OfMessage(1, fields);
    }

    /// <summary>Emits the QDQ graph: nodes and initializers in order.</summary>
    private sealed class QdqBuilder(IReadOnlyDictionary<string, (float Min, float Max)> ranges)
    {
        private readonly Dictionary<string, (string Quantized, float Scale, byte ZeroPoint)> _quantized = new(StringComparer.Ordinal);
        private int _dq;

        public List<ProtoField> Nodes { get; } = [];

        public List<ProtoField> Initializers { get; } = [];

        /// <summary>Adds <c>QuantizeLinear</c> of float <paramref name="tensor"/> with the calibrated range of <paramref name="rangeOf"/>.</summary>
        public void QuantizeActivation(string tensor, string rangeOf)
        {
            if (!ranges.TryGetValue(rangeOf, out var range))
            {
                throw new InvalidDataException($"no calibrated range for tensor {rangeOf}");
            }

            var (scale, zeroPoint) = Uint8Parameters(range.Min, range.Max);
            QuantizeWith(tensor, scale, zeroPoint);
        }

        private void QuantizeWith(string tensor, float scale, byte zeroPoint)
        {
            string q = tensor + "_q";
            Initializers.Add(Scalar(q + "_scale", scale));
            Initializers.Add(Tensor(q + "_zp", [], Uint8Type, [zeroPoint]));
            Nodes.Add(Node(q + "_node", "QuantizeLinear", [tensor, q + "_scale", q + "_zp"], q));
            _quantized[tensor] = (q, scale, zeroPoint);
        }

        /// <summary>A fresh <c>DequantizeLinear</c> of quantised <paramref name="tensor"/> for one consumer; returns its float output.</summary>
        private string Dequantize(string tensor, out float scale)
        {
            if (!_quantized.TryGetValue(tensor, out var q))
            {
                throw new InvalidDataException($"tensor {tensor} was not quantised");
            }

            string output = string.Create(CultureInfo.InvariantCulture, $"{tensor}_dq{_dq++}");
            Nodes.Add(Node(output + "_node", "DequantizeLinear", [q.Quantized, q.Quantized + "_scale", q.Quantized + "_zp"], output));
            scale = q.Scale;
            return output;
        }

        public void Conv(OnnxNodeInfo conv, string input, Weights weights, float[] bias, string output, string rangeOf)
        {
            string x = Dequantize(input, out float inputScale);
            int m = (int)weights.Dims[0];
            int per = weights.Values.Length / m;
            var q = new sbyte[weights.Values.Length];
            var wScale = new float[m];
            var biasScale = new float[m];
            var qBias = new int[m];
            for (int c = 0; c < m; c++)
            {
                var w = weights.Values.AsSpan(c * per, per);
                float maxAbs = MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(w));
                float s = maxAbs > 0 ? maxAbs / 127f : 1f;
                wScale[c] = s;
                for (int i = 0; i < per; i++)
                {
                    q[(c * per) + i] = (sbyte)Math.Clamp(MathF.Round(w[i] / s, MidpointRounding.ToEven), -127f, 127f);
                }

                biasScale[c] = inputScale * s;
                qBias[c] = (int)Math.Clamp(Math.Round(bias[c] / (double)biasScale[c], MidpointRounding.ToEven), int.MinValue + 1.0, int.MaxValue - 1.0);
            }

            string wName = conv.Inputs[1] + "_int8";
            Initializers.Add(Tensor(wName, weights.Dims, Int8Type, MemoryMarshal.AsBytes(q.AsSpan()).ToArray()));
            Initializers.Add(FloatTensor(wName + "_scale", [m], wScale));
            Initializers.Add(Tensor(wName + "_zp", [m], Int8Type, new byte[m]));
            Nodes.Add(Node(wName + "_dq_node", "DequantizeLinear", [wName, wName + "_scale", wName + "_zp"], wName + "_dq", IntAttribute("axis", 0)));
            string bName = conv.Inputs[1] + "_bias_int32";
            Initializers.Add(Tensor(bName, [m], Int32Type, MemoryMarshal.AsBytes(qBias.AsSpan()).ToArray()));
            Initializers.Add(FloatTensor(bName + "_scale", [m], biasScale));
            Initializers.Add(Tensor(bName + "_zp", [m], Int32Type, new byte[4 * m]));
            Nodes.Add(Node(bName + "_dq_node", "DequantizeLinear", [bName, bName + "_scale", bName + "_zp"], bName + "_dq", IntAttribute("axis", 0)));
            Nodes.Add(ToProto(conv, [x, wName + "_dq", bName + "_dq"], output));
            QuantizeActivation(output, rangeOf);
        }

        public void Add(OnnxNodeInfo add, string[] inputs, string output, string rangeOf)
        {
            var xs = inputs.Select(i => Dequantize(i, out _)).ToArray();
            Nodes.Add(ToProto(add, xs, output));
            QuantizeActivation(output, rangeOf);
        }

        public void MaxPool(OnnxNodeInfo pool, string input)
        {
            string x = Dequantize(input, out _);
            var q = _quantized[input];
            Nodes.Add(ToProto(pool, [x], pool.Outputs[0]));
            QuantizeWith(pool.Outputs[0], q.Scale, q.ZeroPoint);
        }

        public void FloatNode(OnnxNodeInfo node, string input) => Nodes.Add(ToProto(node, [Dequantize(input, out _)], node.Outputs[0]));

        /// <summary>Asymmetric uint8: the range widened to include 0, scale = (max - min) / 255, zero point = round(-min / scale).</summary>
        private static (float Scale, byte ZeroPoint) Uint8Parameters(float min, float max)
        {
            min = MathF.Min(min, 0f);
            max = MathF.Max(max, 0f);
            float scale = max > min ? (max - min) / 255f : 1f;
            return (scale, (byte)Math.Clamp(MathF.Round(-min / scale, MidpointRounding.ToEven), 0f, 255f));
        }

        private static ProtoField Scalar(string name, float value) => FloatTensor(name, [], [value]);

        private static ProtoField Tensor(string name, long[] dims, int dataType, byte[] raw)
        {
            var fields = dims.Select(d => ProtoField.OfVarint(1, (ulong)d)).ToList();
            fields.Add(ProtoField.OfVarint(2, (ulong)dataType));
            fields.Add(ProtoField.OfString(8, name));
            fields.Add(ProtoField.OfBytes(9, raw));
            return ProtoField.OfMessage(5, fields);
        }
    }
}

/// <summary>
/// Collects activation ranges for <see cref="ResNet18Quantizer"/>: runs the calibration graph
/// (<see cref="ResNet18Quantizer.CalibrationModel"/>) of the float network on images and keeps, per tensor, the mean
/// over images of each image's minimum and maximum (less sensitive to one outlier image than the global extremes).
/// </summary>
public sealed class RangeCollector : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _tensors;
    private readonly float[] _negMean;
    private readonly float[] _input;
    private readonly int _size;
    private readonly double[] _minSum;
    private readonly double[] _maxSum;
    private readonly float[] _min;
    private readonly float[] _max;

    /// <summary>A collector for the packaged network at input size <paramref name="size"/>.</summary>
    public RangeCollector(int size = ResNet18Model.NativeInputSize, int threads = 1)
    {
        _size = size;
        var model = ResNet18Quantizer.CalibrationModel(ResNet18Model.BuildNetwork(size, withPreprocessing: false, symbolicBatch: false), out var tensors);
        _tensors = [.. tensors];
        using var so = new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        _session = new InferenceSession(model, so);
        _negMean = ResNet18Model.LoadMeanImage(size);
        System.Numerics.Tensors.TensorPrimitives.Negate(_negMean, _negMean);
        _input = new float[3 * size * size];
        _minSum = new double[_tensors.Length];
        _maxSum = new double[_tensors.Length];
        _min = Enumerable.Repeat(float.MaxValue, _tensors.Length).ToArray();
        _max = Enumerable.Repeat(float.MinValue, _tensors.Length).ToArray();
    }

    public int Images { get; private set; }

    /// <summary>Adds one image as the featurizer takes it: planar RGB 0..1, 3 x size x size (preprocessed here as the engine does).</summary>
    public void Add(ReadOnlySpan<float> rgb01)
    {
        int plane = _size * _size;
        if (rgb01.Length != 3 * plane)
        {
            throw new ArgumentException($"expected {3 * plane} floats, got {rgb01.Length}", nameof(rgb01));
        }

        for (int c = 0; c < 3; c++)
        {
            // RGB 0..1 to the network's BGR 0..255 minus the mean image, as ResNet18Featurizer does
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(rgb01.Slice((2 - c) * plane, plane), 255f, _negMean.AsSpan(c * plane, plane), _input.AsSpan(c * plane, plane));
        }

        using var input = OrtValue.CreateTensorValueFromMemory(_input, [1, 3, _size, _size]);
        using var runOptions = new RunOptions();
        using var results = _session.Run(runOptions, [ResNet18Model.NetworkInputName], [input], _tensors);
        for (int i = 0; i < _tensors.Length; i++)
        {
            var values = results[i].GetTensorDataAsSpan<float>();
            float min = System.Numerics.Tensors.TensorPrimitives.Min(values);
            float max = System.Numerics.Tensors.TensorPrimitives.Max(values);
            _minSum[i] += min;
            _maxSum[i] += max;
            _min[i] = MathF.Min(_min[i], min);
            _max[i] = MathF.Max(_max[i], max);
        }

        Images++;
    }

    /// <summary>Tensor name to range: the mean of the per-image extremes (<paramref name="global"/>: the extremes over all images).</summary>
    public Dictionary<string, (float Min, float Max)> Ranges(bool global = false)
    {
        var ranges = new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal);
        for (int i = 0; i < _tensors.Length; i++)
        {
            ranges[_tensors[i]] = global ? (_min[i], _max[i]) : ((float)(_minSum[i] / Images), (float)(_maxSum[i] / Images));
        }

        return ranges;
    }

    public void Dispose() => _session.Dispose();
}
