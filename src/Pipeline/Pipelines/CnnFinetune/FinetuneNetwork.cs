using ImageWorkbench.Pipeline.Training.Torch;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImageWorkbench.Pipeline.Pipelines.CnnFinetune;

/// <summary>
/// The packaged ResNet18 (<see cref="ResNet18Model"/>) rebuilt as a TorchSharp module from its ONNX graph: every Conv
/// and BatchNormalization node becomes a module holding that node's initializers, and the forward pass runs the nodes
/// in graph order, padding as the graph pads (the CNTK export pads the stride-2 stages asymmetrically), so the
/// network computes what ONNX Runtime computes. In front: the package's preprocessing (0..1 RGB, or one grey plane fed
/// to all three channels, to 0..255 BGR minus the mean image); behind the global pool: a new head. The nodes from the
/// start of the last <c>trainedStages</c> stages on, and the head, learn; the nodes before run frozen, in eval mode,
/// without gradients. <see cref="Export"/> writes the learned values back into the same graph.
/// </summary>
internal sealed class FinetuneNetwork : nn.Module<Tensor, Tensor>, IProbedClassifier
{
    /// <summary>Stages of ResNet18 after the stem; training 4 trains every convolution.</summary>
    public const int MaxTrainedStages = 4;

    private readonly ModuleList<nn.Module<Tensor, Tensor>> layers;
    private readonly Linear head;
    private readonly Tensor mean;
    private readonly Tensor channelIndex;
    private readonly IReadOnlyList<OnnxNodeInfo> _nodes;
    private readonly int[] _moduleOf;
    private readonly string[][] _lastUsedBy;
    private readonly int _trainFrom;

    private FinetuneNetwork(int channels, int size, int classes, int trainedStages, IReadOnlyList<OnnxNodeInfo> nodes, IReadOnlyDictionary<string, OnnxFloatTensor> weights)
        : base("resnet18-finetune")
    {
        Channels = channels;
        Height = size;
        Width = size;
        _nodes = nodes;
        _moduleOf = new int[nodes.Count];
        var modules = new List<nn.Module<Tensor, Tensor>>();
        using (no_grad())
        {
            for (var i = 0; i < nodes.Count; i++)
            {
                _moduleOf[i] = -1;
                var node = nodes[i];
                if (node.OpType == "Conv")
                {
                    var w = Weight(weights, node.Inputs[1]);
                    var stride = node.IntsOr("strides", 1, 1);
                    var pads = node.IntsOr("pads", 0, 0, 0, 0);
                    var symmetric = pads[0] == pads[2] && pads[1] == pads[3];
                    if (node.IntsOr("group", 1)[0] != 1 || node.IntsOr("dilations", 1, 1).Any(d => d != 1) || w.Dims.Length != 4)
                    {
                        throw new WorkbenchException($"the packaged network's convolution {node.Output} is not a plain 2-D convolution");
                    }

                    var conv = nn.Conv2d(w.Dims[1], w.Dims[0], (w.Dims[2], w.Dims[3]), stride: (stride[0], stride[1]),
                        padding: symmetric ? (pads[0], pads[1]) : (0, 0), bias: node.Inputs.Count > 2);
                    conv.weight!.copy_(tensor(w.Values, w.Dims));
                    if (node.Inputs.Count > 2)
                    {
                        conv.bias!.copy_(tensor(Weight(weights, node.Inputs[2]).Values));
                    }

                    _moduleOf[i] = modules.Count;
                    modules.Add(conv);
                }
                else if (node.OpType == "BatchNormalization")
                {
                    var scale = Weight(weights, node.Inputs[1]);
                    var bn = nn.BatchNorm2d(scale.Values.Length, eps: node.FloatOf("epsilon") ?? 1e-5f);
                    bn.weight!.copy_(tensor(scale.Values));
                    bn.bias!.copy_(tensor(Weight(weights, node.Inputs[2]).Values));
                    bn.running_mean!.copy_(tensor(Weight(weights, node.Inputs[3]).Values));
                    bn.running_var!.copy_(tensor(Weight(weights, node.Inputs[4]).Values));
                    _moduleOf[i] = modules.Count;
                    modules.Add(bn);
                }
                else if (node.OpType is not ("Relu" or "Add" or "MaxPool" or "AveragePool" or "GlobalAveragePool"))
                {
                    throw new WorkbenchException($"the packaged network has an operator this trainer does not know: {node.OpType}");
                }
            }
        }

        // Each stage after the first starts with its stride-2 1x1 projection, the first node of the stage in graph order.
        var stageStarts = Enumerable.Range(0, nodes.Count)
            .Where(i => nodes[i].OpType == "Conv" && nodes[i].IntsOr("kernel_shape", 0, 0)[0] == 1 && nodes[i].IntsOr("strides", 1, 1)[0] == 2)
            .ToList();
        if (stageStarts.Count != 3)
        {
            throw new WorkbenchException($"the packaged network has {stageStarts.Count} stride-2 projections, expected ResNet18's 3");
        }

        _trainFrom = trainedStages switch
        {
            0 => nodes.Count,
            >= 1 and <= 3 => stageStarts[3 - trainedStages],
            MaxTrainedStages => 0,
            _ => throw new WorkbenchException($"trained stages must be 0 to {MaxTrainedStages}, got {trainedStages}"),
        };
        // which tensors each node is the last to read: the forward pass frees them there (at 224 px a batch's
        // intermediate tensors would otherwise all live until the batch ends: gigabytes)
        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            foreach (var name in nodes[i].Inputs.Where(n => !weights.ContainsKey(n)))
            {
                lastUse[name] = i;
            }
        }

        _lastUsedBy = [.. Enumerable.Range(0, nodes.Count).Select(i => lastUse.Where(kv => kv.Value == i).Select(kv => kv.Key).ToArray())];
        layers = new ModuleList<nn.Module<Tensor, Tensor>>([.. modules]);
        head = nn.Linear(ResNet18Model.FeatureLength, classes);
        mean = tensor(ResNet18Model.LoadMeanImage(size), [1, 3, size, size]);
        channelIndex = tensor(channels == 1 ? new long[] { 0, 0, 0 } : [2, 1, 0]);
        RegisterComponents();
        foreach (var p in FrozenModules().SelectMany(m => m.parameters()))
        {
            p.requires_grad = false;
        }
    }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    nn.Module<Tensor, Tensor> ITorchClassifier.Module => this;

    /// <summary>The new head behind the global pool (fitted first as a linear probe, see <see cref="LinearProbe"/>).</summary>
    public Linear Head => head;

    /// <summary>Builds the network for <paramref name="channels"/> (1 or 3) planes of <paramref name="size"/> pixels, the head from the current torch seed.</summary>
    public static FinetuneNetwork Create(int channels, int size, int classes, int trainedStages)
    {
        ResNet18Model.ValidateInputSize(size);
        var (nodes, weights) = ResNet18FineTunedGraph.ReadNetwork();
        return new FinetuneNetwork(channels, size, classes, trainedStages, nodes, weights);
    }

    private static OnnxFloatTensor Weight(IReadOnlyDictionary<string, OnnxFloatTensor> weights, string name) =>
        weights.TryGetValue(name, out var w) ? w : throw new WorkbenchException($"the packaged network has no initializer {name}");

    private IEnumerable<nn.Module<Tensor, Tensor>> FrozenModules() =>
        Enumerable.Range(0, Math.Min(_trainFrom, _nodes.Count)).Where(i => _moduleOf[i] >= 0).Select(i => layers[_moduleOf[i]]);

    public IEnumerable<Parameter> TrainableParameters() =>
        Enumerable.Range(_trainFrom, _nodes.Count - Math.Min(_trainFrom, _nodes.Count)).Where(i => _moduleOf[i] >= 0)
            .SelectMany(i => layers[_moduleOf[i]].parameters()).Concat(head.parameters());

    public void TrainMode()
    {
        train();
        foreach (var module in FrozenModules())
        {
            module.eval();
        }
    }

    public override Tensor forward(Tensor input) => head.forward(Features(input));

    /// <summary>The pooled 512 features the head reads, [batch, 512].</summary>
    public Tensor Features(Tensor input)
    {
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (no_grad())
        {
            values[ResNet18Model.NetworkInputName] = input.index_select(1, channelIndex).mul(255f).sub(mean);
            Run(values, 0, Math.Min(_trainFrom, _nodes.Count));
        }

        Run(values, Math.Min(_trainFrom, _nodes.Count), _nodes.Count);
        return values[_nodes[^1].Output].flatten(1);
    }

    private void Run(Dictionary<string, Tensor> values, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            var node = _nodes[i];
            var x = values[node.Inputs[0]];
            values[node.Output] = node.OpType switch
            {
                "Conv" => layers[_moduleOf[i]].forward(PadAsymmetric(x, node.IntsOr("pads", 0, 0, 0, 0), 0)),
                "BatchNormalization" => layers[_moduleOf[i]].forward(x),
                "Relu" => nn.functional.relu(x),
                "Add" => x.add(values[node.Inputs[1]]),
                "MaxPool" => nn.functional.max_pool2d(
                    PadAsymmetric(x, node.IntsOr("pads", 0, 0, 0, 0), double.NegativeInfinity, always: true),
                    node.IntsOr("kernel_shape")[0], node.IntsOr("strides", 1, 1)[0]),
                _ => nn.functional.adaptive_avg_pool2d(x, 1), // the final pool, global at every input size
            };
            foreach (var name in _lastUsedBy[i])
            {
                values.Remove(name, out var done);
                done?.Dispose(); // the handle only: autograd keeps what backward needs
            }
        }
    }

    /// <summary>ONNX pads [top, left, bottom, right] as an explicit pad when asymmetric (a symmetric conv pad is the module's own), or always for pooling.</summary>
    private static Tensor PadAsymmetric(Tensor x, long[] pads, double value, bool always = false)
    {
        var symmetric = pads[0] == pads[2] && pads[1] == pads[3];
        if ((symmetric && !always) || pads.All(p => p == 0))
        {
            return x;
        }

        return nn.functional.pad(x, [pads[1], pads[3], pads[0], pads[2]], PaddingModes.Constant, value);
    }

    /// <summary>The ONNX classifier: the packaged graph with the learned initializers and the head (see <see cref="ResNet18FineTunedGraph.Build"/>).</summary>
    public byte[] Export(string producer)
    {
        using var _ = no_grad();
        var weights = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (var i = Math.Min(_trainFrom, _nodes.Count); i < _nodes.Count; i++)
        {
            var node = _nodes[i];
            if (node.OpType == "Conv")
            {
                var conv = (Conv2d)layers[_moduleOf[i]];
                weights[node.Inputs[1]] = conv.weight!.data<float>().ToArray();
                if (node.Inputs.Count > 2)
                {
                    weights[node.Inputs[2]] = conv.bias!.data<float>().ToArray();
                }
            }
            else if (node.OpType == "BatchNormalization")
            {
                var bn = (BatchNorm2d)layers[_moduleOf[i]];
                weights[node.Inputs[1]] = bn.weight!.data<float>().ToArray();
                weights[node.Inputs[2]] = bn.bias!.data<float>().ToArray();
                weights[node.Inputs[3]] = bn.running_mean!.data<float>().ToArray();
                weights[node.Inputs[4]] = bn.running_var!.data<float>().ToArray();
            }
        }

        return ResNet18FineTunedGraph.Build(Height, Channels, weights, head.weight!.data<float>().ToArray(), head.bias!.data<float>().ToArray(), producer);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            mean.Dispose();
            channelIndex.Dispose();
        }

        base.Dispose(disposing);
    }
}
