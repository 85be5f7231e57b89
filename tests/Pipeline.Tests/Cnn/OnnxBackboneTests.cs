using ImageWorkbench.FeatureExtractors;
using System.Security.Cryptography;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Features;
using ImageWorkbench.Pipeline.Pipelines.Hybrid;
using ImageWorkbench.Pipeline.Pictures;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Tests.Data;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Models;
using static ImageWorkbench.Runtime.Cnn.OnnxNodes;
using CliRunner = ImageWorkbench.Pipeline.Tests.Hostile.Cli;

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

    /// <summary>Share of the test images a saved package labels right, predicting from the images alone.</summary>
    private static double PackageAccuracy(string modelPath, ImageDataset data)
    {
        using var classifier = ImageClassifier.Load(modelPath);
        return data.Test.Count(image => classifier.Predict(image.Source).Label == data.Classes[image.Label]) / (double)data.Test.Count;
    }

    [Fact]
    public void Hybrid_and_stored_features_take_the_backbone_and_their_packages_predict_on_their_own()
    {
        var backbonePath = Write("net.onnx", filters: 16);
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(backbonePath)));
        var split = new DatasetOptions { MaxTrainPerClass = 30, MaxTestPerClass = 10 };
        var data = DatasetLoader.Load(MiniDatasetTests.MiniFolder(), split, new DataWarnings());
        TrainingOptions Options(IPipelineWing wing) => new()
        {
            Pipeline = wing,
            Trainer = TrainerKind.Lbfgs,
            MaxIterations = 30,
            UseFeatureCache = false,
            PipelineOptions = [new CnnPipelineOptions { Backbone = new BackboneOptions { Path = backbonePath } }],
        };

        // hybrid: the hand-crafted block beside the backbone's 16 features, not ResNet18's 512
        var hybridPath = Path.Combine(_folder, "hybrid.zip");
        var hybrid = ModelTrainer.TrainAndSave(data, Options(new HybridPipeline()), hybridPath, new DataWarnings());
        var handLength = FeatureSetPresets.Get(hybrid.Metadata.FeatureSet).OutputLength;
        Assert.Equal(handLength + 16, hybrid.Metadata.FeatureLength);
        Assert.Equal((sha, "onnx-backbone"), (hybrid.Metadata.Extra["networkSha256"], hybrid.Metadata.Extra["network"]));
        Assert.Equal(hybrid.Test!.Accuracy, PackageAccuracy(hybridPath, data), 6);

        // featurize, then train --features: the head on stored backbone features, the package rebuilt from the file
        var shards = Path.Combine(_folder, "shards");
        var outcome = ShardFeaturization.Run(data, split, Options(new CnnPipeline()), new ShardSpec(0, 1), shards, new DataWarnings(), null, CancellationToken.None);
        Assert.Equal(16, outcome.Header.Featurizer.FeatureLength);
        var storedPath = Path.Combine(_folder, "stored.zip");
        var stored = FeatureTraining.TrainAndSave(FeatureStore.Open(shards), Options(new CnnPipeline()), storedPath, new DataWarnings(), null, CancellationToken.None);
        Assert.Equal(sha, stored.Metadata.Extra["networkSha256"]);
        var direct = ModelTrainer.Train(new Microsoft.ML.MLContext(42), data, Options(new CnnPipeline()), new DataWarnings());
        Assert.Equal(direct.Test!.Accuracy, stored.Test!.Accuracy, 6); // the same features as a direct run
        Assert.Equal(stored.Test.Accuracy, PackageAccuracy(storedPath, data), 6);

        // another network under the same name: the stored features are refused, naming the file
        Write("net.onnx", filters: 16, seed: 9);
        var changed = Assert.Throws<WorkbenchException>(() => FeatureTraining.TrainAndSave(FeatureStore.Open(shards), Options(new CnnPipeline()), Path.Combine(_folder, "changed.zip"), new DataWarnings(), null, CancellationToken.None));
        Assert.StartsWith(backbonePath, changed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_and_featurize_take_backbone_on_the_command_line()
    {
        var backbonePath = Write("net.onnx", filters: 12);
        var report = Path.Combine(_folder, "report");
        var compare = CliRunner.Run(TimeSpan.FromSeconds(180), "compare", "--data", MiniDatasetTests.MiniFolder(), "--pipelines", "cnn,hybrid", "--trainers", "lbfgs",
            "--max-train-per-class", "20", "--max-test-per-class", "5", "--backbone", backbonePath, "--out", report);
        Assert.True(compare.ExitCode == 0, compare.ToString());
        foreach (var model in new[] { "cnn.zip", "hybrid.zip" })
        {
            Assert.Equal("onnx-backbone", ModelPackage.ReadMetadata(Path.Combine(report, model)).Extra["network"]);
        }

        var shards = Path.Combine(_folder, "shards");
        var featurize = CliRunner.Run(TimeSpan.FromSeconds(120), "featurize", "--pipeline", "cnn", "--data", MiniDatasetTests.MiniFolder(), "--max-train-per-class", "5", "--max-test-per-class", "2",
            "--backbone", backbonePath, "--shard", "0/1", "--out", shards);
        Assert.True(featurize.ExitCode == 0, featurize.ToString());
        Assert.Equal(12, FeatureStore.Open(shards).Header.Featurizer.FeatureLength);

        // options that cannot apply are usage errors before any work
        var refused = CliRunner.Run("compare", "--features", shards, "--backbone", backbonePath, "--out", Path.Combine(_folder, "r2"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--backbone", refused.Err, StringComparison.Ordinal);
        var unused = CliRunner.Run("compare", "--pipelines", "handcrafted", "--backbone", backbonePath, "--out", Path.Combine(_folder, "r3"));
        Assert.Equal(2, unused.ExitCode);
        Assert.Contains("--pipelines names none of them", unused.Err, StringComparison.Ordinal);
    }
}
