using System.Globalization;
using static ImageWorkbench.Runtime.Cnn.OnnxNodes;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>A float initializer of the packaged graph: its shape and values (row-major).</summary>
public sealed record OnnxFloatTensor(long[] Dims, float[] Values);

/// <summary>
/// The packaged ResNet18 (see <see cref="ResNet18Model"/>) as a trainer reads it, and the fine-tuned network written
/// back: the same graph with new values in its initializers, the preprocessing in front (0..1 RGB, or one grey
/// plane fed to all three channels) and a new head behind the global pool (Flatten, Gemm, Softmax). The result has
/// <see cref="OnnxClassifierGraph"/>'s contract (input <see cref="OnnxClassifierGraph.InputName"/> [1, C, S, S],
/// output <see cref="OnnxClassifierGraph.OutputName"/> [1, classes]), so <see cref="OnnxClassifierScoring"/> runs it
/// with ONNX Runtime alone.
/// </summary>
public static class ResNet18FineTunedGraph
{
    /// <summary>The nodes in graph order and the float initializers by name, from the verified packaged file.</summary>
    public static (IReadOnlyList<OnnxNodeInfo> Nodes, IReadOnlyDictionary<string, OnnxFloatTensor> Initializers) ReadNetwork()
    {
        var path = ResNet18Model.LocateNetwork();
        try
        {
            var reader = OnnxGraphReader.Parse(ResNet18Model.ReadVerified(path, ResNet18Model.NetworkSha256));
            var initializers = new Dictionary<string, OnnxFloatTensor>(StringComparer.Ordinal);
            foreach (var name in reader.InitializerNames)
            {
                var values = reader.FloatInitializer(name, out var dims) ?? throw new InvalidDataException($"initializer {name} is not a FLOAT tensor");
                initializers[name] = new OnnxFloatTensor(dims, values);
            }

            return (reader.Nodes, initializers);
        }
        catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException)
        {
            throw new WorkbenchException($"{path}: not a readable ONNX model ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// The ONNX model of the fine-tuned network: the packaged graph at input size <paramref name="size"/> (global final
    /// pool) with <paramref name="weights"/> replacing the initializers of the same names (same lengths), the
    /// preprocessing for <paramref name="inputChannels"/> (1 or 3) planes of 0..1 values in front, and the head
    /// (<paramref name="headWeight"/> [classes, 512] row-major, <paramref name="headBias"/>) then softmax behind.
    /// </summary>
    public static byte[] Build(int size, int inputChannels, IReadOnlyDictionary<string, float[]> weights, float[] headWeight, float[] headBias, string producer)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(headWeight);
        ArgumentNullException.ThrowIfNull(headBias);
        if (inputChannels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(inputChannels), inputChannels, "1 or 3 channels");
        }

        int classes = headBias.Length;
        if (headWeight.Length != classes * ResNet18Model.FeatureLength)
        {
            throw new ArgumentException($"the head has {headWeight.Length} weights, expected {classes} x {ResNet18Model.FeatureLength}", nameof(headWeight));
        }

        var path = ResNet18Model.LocateNetwork();
        byte[] rewritten;
        try
        {
            rewritten = ResNet18Model.RewriteNetwork(
                ResNet18Model.ReadVerified(path, ResNet18Model.NetworkSha256), size, ResNet18Model.LoadMeanImage(size), symbolicBatch: false, globalPool: true,
                fusedInput: (OnnxClassifierGraph.InputName, inputChannels));
        }
        catch (InvalidDataException ex)
        {
            throw new WorkbenchException($"{path}: not a readable ONNX model ({ex.Message})", ex);
        }

        var model = Proto.Parse(rewritten);
        var graph = Proto.Parse(model.First(f => f.Number == 7).Bytes);
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        var newGraph = new List<ProtoField>(graph.Count + 8);
        foreach (var field in graph)
        {
            if (field.Number == 12)
            {
                continue; // the features output; the graph ends with the head's scores instead
            }

            if (field.Number == 5 && Proto.Parse(field.Bytes) is var tensor && tensor.First(x => x.Number == 8).AsString() is var name && weights.TryGetValue(name, out var values))
            {
                var dims = OnnxGraphReader.TensorDims(tensor);
                if (dims.Aggregate(1L, (a, b) => a * b) != values.Length)
                {
                    throw new ArgumentException($"initializer {name}: {values.Length} values for shape [{string.Join(", ", dims)}]", nameof(weights));
                }

                newGraph.Add(FloatTensor(name, dims, values));
                replaced.Add(name);
                continue;
            }

            newGraph.Add(field);
        }

        if (weights.Keys.FirstOrDefault(k => !replaced.Contains(k)) is { } unknown)
        {
            throw new ArgumentException($"the network has no initializer {unknown}", nameof(weights));
        }

        newGraph.AddRange(
        [
            Node("head_flatten", "Flatten", [ResNet18Model.NetworkOutputName], "head_features", IntAttribute("axis", 1)),
            Node("head_dense", "Gemm", ["head_features", "head.w", "head.b"], "head_logits", IntAttribute("transB", 1)),
            Node(OnnxClassifierGraph.OutputName, "Softmax", ["head_logits"], OnnxClassifierGraph.OutputName, IntAttribute("axis", 1)),
            FloatTensor("head.w", [classes, ResNet18Model.FeatureLength], headWeight),
            FloatTensor("head.b", [classes], headBias),
            ValueInfo(12, OnnxClassifierGraph.OutputName, false, classes),
        ]);
        var newModel = model.Where(f => f.Number != 6).Select(f => f.Number switch
        {
            7 => ProtoField.OfMessage(7, newGraph),
            2 => ProtoField.OfString(2, producer),
            _ => f,
        }).ToList();
        newModel.Add(ProtoField.OfString(6, string.Create(CultureInfo.InvariantCulture, $"{ResNet18Model.NetworkId} fine-tuned: size {size}, {inputChannels} input channel(s), {classes} classes")));
        return Proto.Serialize(newModel);
    }
}
