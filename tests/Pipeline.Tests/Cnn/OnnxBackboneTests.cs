using System.Security.Cryptography;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pictures;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Tests.Data;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Models;
using static ImageWorkbench.Runtime.Cnn.OnnxNodes;

namespace ImageWorkbench.Pipeline.Tests.Cnn;

/// <summary>
/// <c>--backbone model.onnx</c>: any ONNX network as the frozen CNN. The tests build their own small networks (conv, ReLU,
/// global average pool, flatten, then a "classifier" the workbench must cut off), train on the embedded mini Fashion-MNIST
/// and predict from the saved package alone; graphs that do not fit are refused in one line naming the file.
/// </summary>
[Collection("Console")]
public sealed class OnnxBackboneTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("onnx-backbone-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>
    /// A small backbone: input [1, 3, S, S] (or NHWC, or symbolic), conv 3x3 x <paramref name="filters"/> with seeded weights,
    /// ReLU, global average pool, flatten ("pooled"), then a dense layer and softmax as the network's own classifier.
    /// </summary>
    private string Write(string name, int size = 32, bool nhwc = false, bool symbolic = false, int filters = 8, int seed = 1, int elementType = 1, int rank = 4)
    {
        var rng = new Random(seed);
        var weights = Enumerable.Range(0, filters * 27).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var nodes = new List<ProtoField>();
        var image = nhwc ? "nchw" : "image";
        if (nhwc)
        {
            nodes.Add(Node("to_nchw", "Transpose", ["image"], "nchw", IntsAttribute("perm", 0, 3, 1, 2)));
        }

        nodes.Add(Node("conv1", "Conv", [image, "conv1.w", "conv1.b"], "c1", IntsAttribute("kernel_shape", 3, 3), IntsAttribute("pads", 1, 1, 1, 1)));
        nodes.Add(Node("relu1", "Relu", ["c1"], "r1"));
        nodes.Add(Node("gap", "GlobalAveragePool", ["r1"], "gap"));
        nodes.Add(Node("flatten", "Flatten", ["gap"], "pooled", IntAttribute("axis", 1)));
        nodes.Add(Node("fc", "Gemm", ["pooled", "fc.w", "fc.b"], "logits", IntAttribute("transB", 1)));
        nodes.Add(Node("softmax", "Softmax", ["logits"], "probabilities", IntAttribute("axis", 1)));
        var graph = new List<ProtoField>(nodes)
        {
            ProtoField.OfString(2, "backbone"),
            FloatTensor("conv1.w", [filters, 3, 3, 3], weights),
            FloatTensor("conv1.b", [filters], new float[filters]),
            FloatTensor("fc.w", [5, filters], [.. Enumerable.Range(0, 5 * filters).Select(i => (i % 3) - 1f)]),
            FloatTensor("fc.b", [5], new float[5]),
        };
        long[] dims = rank == 2 ? [1, 3 * size * size] : nhwc ? [1, size, size, 3] : [1, 3, size, size];
        var dimFields = dims.Select((d, i) => ProtoField.OfMessage(1, [symbolic && i >= (nhwc ? 1 : 2) && i <= (nhwc ? 2 : 3) ? ProtoField.OfString(2, "S") : ProtoField.OfVarint(1, (ulong)d)])).ToList();
        graph.Add(ProtoField.OfMessage(11, [ProtoField.OfString(1, "image"), ProtoField.OfMessage(2, [ProtoField.OfMessage(1, [ProtoField.OfVarint(1, (ulong)elementType), ProtoField.OfMessage(2, dimFields)])])]));
        graph.Add(ValueInfo(12, "probabilities", false, 5));
        var bytes = Proto.Serialize(
        [
            ProtoField.OfVarint(1, 8),
            ProtoField.OfString(2, "test"),
            ProtoField.OfMessage(8, [ProtoField.OfString(1, string.Empty), ProtoField.OfVarint(2, 13)]),
            ProtoField.OfMessage(7, graph),
        ]);
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void The_input_size_layout_and_feature_layer_are_read_from_the_graph()
    {
        var backbone = OnnxBackbone.Load(new BackboneOptions { Path = Write("nchw.onnx") });
        Assert.Equal(("image", "pooled", 32, 32, 3, BackboneLayout.Nchw, 8), (backbone.InputName, backbone.OutputName, backbone.Width, backbone.Height, backbone.Channels, backbone.Layout, backbone.FeatureLength));
        Assert.Equal([0.485f, 0.456f, 0.406f], backbone.Mean);

        var nhwc = OnnxBackbone.Load(new BackboneOptions { Path = Write("nhwc.onnx", size: 64, nhwc: true) });
        Assert.Equal((BackboneLayout.Nhwc, 64, 8), (nhwc.Layout, nhwc.Width, nhwc.FeatureLength));

        // a symbolic size takes --backbone-size; another layer by name; the std as given
        var symbolic = OnnxBackbone.Load(new BackboneOptions { Path = Write("symbolic.onnx", symbolic: true), Size = 64, Output = "logits", Std = [0.5f] });
        Assert.Equal((64, "logits", 5), (symbolic.Width, symbolic.OutputName, symbolic.FeatureLength));
        Assert.Equal([0.5f, 0.5f, 0.5f], symbolic.Std);

        // the features are the engine's: the pooled ReLU of the normalised image is never negative
        using var engine = new OnnxBackboneFeaturizer(backbone, threads: 1);
        var image = Enumerable.Range(0, backbone.InputLength).Select(i => (i % 17) / 17f).ToArray();
        var features = new float[backbone.FeatureLength];
        engine.Featurize(image, 1, features);
        Assert.All(features, f => Assert.True(f >= 0 && float.IsFinite(f)));
        Assert.Contains(features, f => f > 0);
    }

    [Fact]
    public void The_cache_key_changes_with_the_weights()
    {
        var a = OnnxBackbone.Load(new BackboneOptions { Path = Write("a.onnx", seed: 1) });
        var b = OnnxBackbone.Load(new BackboneOptions { Path = Write("b.onnx", seed: 2) });
        var again = OnnxBackbone.Load(new BackboneOptions { Path = Write("c.onnx", seed: 1) });
        Assert.NotEqual(a.Id, b.Id);
        Assert.Equal(a.Id, again.Id); // content, not file name
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(a.Path)))[..16], a.Id, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text", "not an ONNX model")]
    [InlineData("rank", "has rank 2")]
    [InlineData("int", "is not a float tensor")]
    [InlineData("symbolic", "symbolic size")]
    [InlineData("output", "no tensor named 'nope'")]
    [InlineData("input", "no graph input named 'nope'")]
    [InlineData("mean", "--backbone-mean has 2 values")]
    [InlineData("size", "does not fit it")]
    public void A_graph_that_does_not_fit_is_refused_in_one_line_naming_the_file(string problem, string expected)
    {
        var path = problem switch
        {
            "text" => Path.Combine(_folder, "notes.onnx"),
            "rank" => Write("rank.onnx", rank: 2),
            "int" => Write("int.onnx", elementType: 7),
            "symbolic" => Write("symbolic.onnx", symbolic: true),
            _ => Write("fine.onnx"),
        };
        if (problem == "text")
        {
            File.WriteAllText(path, "this is a text file, not a network\n");
        }

        var options = new BackboneOptions
        {
            Path = path,
            Output = problem == "output" ? "nope" : null,
            Input = problem == "input" ? "nope" : null,
            Mean = problem == "mean" ? [0.1f, 0.2f] : null,
            Size = problem == "size" ? 64 : null,
        };
        var error = Assert.Throws<WorkbenchException>(() => OnnxBackbone.Load(options));
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Training_on_a_backbone_saves_it_in_the_package_which_predicts_on_its_own()
    {
        var backbonePath = Write("net.onnx", filters: 16);
        var data = DatasetLoader.Load(MiniDatasetTests.MiniFolder());
        var modelPath = Path.Combine(_folder, "model.zip");
        var options = new TrainingOptions
        {
            Pipeline = new CnnPipeline(),
            Trainer = TrainerKind.Lbfgs,
            MaxIterations = 30,
            UseFeatureCache = false,
            PipelineOptions = [new CnnPipelineOptions { Backbone = new BackboneOptions { Path = backbonePath } }],
        };
        var result = ModelTrainer.TrainAndSave(data, options, modelPath, new DataWarnings());
        Assert.True(result.Test!.Accuracy > 0.2, $"test accuracy {result.Test.Accuracy} (chance 0.1)");
        Assert.Equal(16, result.Metadata.FeatureLength);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(backbonePath))), result.Metadata.Extra["networkSha256"]);

        // the backbone travels in the package: predict with the file gone
        File.Delete(backbonePath);
        using var classifier = ImageClassifier.Load(modelPath);
        var right = data.Test.Take(100).Count(image => classifier.Predict(image.Source).Label == data.Classes[image.Label]);
        Assert.InRange(right / 100.0, result.Test.Accuracy - 0.15, result.Test.Accuracy + 0.15);

        // and its first layer is what the learned-kernels view shows
        var kernels = KernelPictures.TryReadFirstLayer(modelPath);
        Assert.NotNull(kernels);
        Assert.Equal((16, 3, 3, 3), (kernels.Count, kernels.Channels, kernels.Height, kernels.Width));
    }
}
