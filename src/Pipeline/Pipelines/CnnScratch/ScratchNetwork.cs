using ImageWorkbench.Pipeline.Training.Torch;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImageWorkbench.Pipeline.Pipelines.CnnScratch;

/// <summary>The networks <c>cnn-scratch</c> trains from random initialisation.</summary>
public enum ScratchArchitecture
{
    /// <summary>
    /// Three conv-bn-relu-pool blocks (32, 64, 128 channels, 3x3), dropout, a 128-unit hidden layer and the class
    /// layer: the default. About 0.2 M weights at 28x28.
    /// </summary>
    Small,

    /// <summary>LeNet-5 as the text draws it (5x5 convolutions, 6 and 16 channels, 120 and 84 hidden units), with ReLU and max pooling.</summary>
    LeNet5,
}

/// <summary>
/// A feed-forward CNN as a list of layers, each a TorchSharp module, so the same list trains (as one
/// <see cref="Sequential"/>) and exports (each layer to its ONNX node, a batch norm folded into the convolution
/// before it). Owns its modules.
/// </summary>
internal sealed class ScratchNetwork : ITorchClassifier
{
    private readonly List<(string Kind, nn.Module<Tensor, Tensor> Module)> _layers = [];

    private ScratchNetwork(int channels, int height, int width)
    {
        Channels = channels;
        Height = height;
        Width = width;
    }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    public Sequential Module { get; private set; } = null!;

    nn.Module<Tensor, Tensor> ITorchClassifier.Module => Module;

    public IEnumerable<Parameter> TrainableParameters() => Module.parameters();

    public void TrainMode() => Module.train();

    /// <summary>Builds <paramref name="architecture"/> for images of the given shape and <paramref name="classes"/> outputs; weights from the current torch seed.</summary>
    public static ScratchNetwork Create(ScratchArchitecture architecture, int channels, int height, int width, int classes)
    {
        var net = new ScratchNetwork(channels, height, width);
        int c = channels, h = height, w = width;
        void Conv(int outChannels, int kernel, int padding, bool batchNorm)
        {
            net.Add("conv", nn.Conv2d(c, outChannels, kernel, padding: padding, bias: true));
            if (batchNorm)
            {
                net.Add("bn", nn.BatchNorm2d(outChannels));
            }

            net.Add("relu", nn.ReLU());
            c = outChannels;
            h = h + (2 * padding) - kernel + 1;
            w = w + (2 * padding) - kernel + 1;
        }

        void Pool()
        {
            net.Add("pool", nn.MaxPool2d(2, 2));
            h /= 2;
            w /= 2;
        }

        void Dense(int outputs, bool relu, double dropout)
        {
            if (dropout > 0)
            {
                net.Add("dropout", nn.Dropout(dropout));
            }

            net.Add("dense", nn.Linear(c, outputs));
            if (relu)
            {
                net.Add("relu", nn.ReLU());
            }

            c = outputs;
        }

        switch (architecture)
        {
            case ScratchArchitecture.Small:
                foreach (var outChannels in new[] { 32, 64, 128 })
                {
                    Conv(outChannels, 3, 1, batchNorm: true);
                    Pool();
                }

                break;
            case ScratchArchitecture.LeNet5:
                Conv(6, 5, 2, batchNorm: false);
                Pool();
                Conv(16, 5, 0, batchNorm: false);
                Pool();
                break;
            default:
                throw new WorkbenchException($"unknown architecture {architecture}");
        }

        if (h < 1 || w < 1)
        {
            throw new WorkbenchException($"{height}x{width} images are too small for the {architecture} network");
        }

        net.Add("flatten", nn.Flatten());
        c = c * h * w;
        if (architecture == ScratchArchitecture.LeNet5)
        {
            Dense(120, relu: true, dropout: 0);
            Dense(84, relu: true, dropout: 0);
            Dense(classes, relu: false, dropout: 0);
        }
        else
        {
            Dense(128, relu: true, dropout: 0.3);
            Dense(classes, relu: false, dropout: 0.3);
        }

        net.Module = nn.Sequential(net._layers.Select((l, i) => ($"{i}-{l.Kind}", l.Module)).ToArray());
        return net;
    }

    private void Add(string kind, nn.Module<Tensor, Tensor> module) => _layers.Add((kind, module));

    /// <summary>Number of trainable weights.</summary>
    public long ParameterCount => Module.parameters().Sum(p => p.numel());

    /// <summary>The first convolution's kernels, [out, in, k, k] row-major (for drawing what the network learned).</summary>
    public (float[] Weights, int OutChannels, int InChannels, int Kernel) FirstKernels()
    {
        var conv = (Conv2d)_layers.First(l => l.Kind == "conv").Module;
        var shape = conv.weight!.shape;
        return (conv.weight.data<float>().ToArray(), (int)shape[0], (int)shape[1], (int)shape[2]);
    }

    /// <summary>The layers as ONNX Runtime will run them: eval-mode semantics, batch norms folded into their convolutions, dropout gone.</summary>
    public IReadOnlyList<OnnxLayer> ExportLayers()
    {
        using var _ = no_grad();
        var result = new List<OnnxLayer>();
        for (var i = 0; i < _layers.Count; i++)
        {
            var (kind, module) = _layers[i];
            switch (kind)
            {
                case "conv":
                    var conv = (Conv2d)module;
                    var shape = conv.weight!.shape;
                    int outC = (int)shape[0], inC = (int)shape[1], k = (int)shape[2];
                    var weight = conv.weight.data<float>().ToArray();
                    var bias = conv.bias!.data<float>().ToArray();
                    if (i + 1 < _layers.Count && _layers[i + 1].Kind == "bn")
                    {
                        FoldBatchNorm((BatchNorm2d)_layers[i + 1].Module, weight, bias, inC * k * k);
                    }

                    result.Add(new OnnxConvolution(weight, bias, outC, inC, k, (int)conv.padding![0]));
                    break;
                case "bn":
                case "dropout":
                    break;
                case "relu":
                    result.Add(new OnnxRelu());
                    break;
                case "pool":
                    result.Add(new OnnxMaxPool(2, 2));
                    break;
                case "flatten":
                    result.Add(new OnnxFlatten());
                    break;
                case "dense":
                    var dense = (Linear)module;
                    result.Add(new OnnxDense(dense.weight.data<float>().ToArray(), dense.bias!.data<float>().ToArray(), (int)dense.weight.shape[0], (int)dense.weight.shape[1]));
                    break;
                default:
                    throw new InvalidOperationException($"layer kind {kind} has no export");
            }
        }

        return result;
    }

    /// <summary>y = gamma (x - mean) / sqrt(var + eps) + beta, applied to the convolution's weights and bias (in double).</summary>
    private static void FoldBatchNorm(BatchNorm2d bn, float[] weight, float[] bias, int perOutput)
    {
        var gamma = bn.weight!.data<float>().ToArray();
        var beta = bn.bias!.data<float>().ToArray();
        var mean = bn.running_mean!.data<float>().ToArray();
        var variance = bn.running_var!.data<float>().ToArray();
        var eps = bn.eps;
        for (var o = 0; o < bias.Length; o++)
        {
            var scale = gamma[o] / Math.Sqrt(variance[o] + eps);
            for (var j = 0; j < perOutput; j++)
            {
                weight[(o * perOutput) + j] = (float)(weight[(o * perOutput) + j] * scale);
            }

            bias[o] = (float)(((bias[o] - mean[o]) * scale) + beta[o]);
        }
    }

    /// <summary>Class probabilities of <paramref name="count"/> images (planar C x H x W each, concatenated), in eval mode.</summary>
    public float[] Predict(float[] pixels, int count) => TorchTrainer.Predict(this, pixels, count);

    public void Dispose() => Module?.Dispose();
}
