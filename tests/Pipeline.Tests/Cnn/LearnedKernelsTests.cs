using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pictures;
using ImageWorkbench.Pipeline.Pipelines.CnnScratch;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Pipeline.Tests.Data;
using ImageWorkbench.Pipeline.Tests.Reports;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Tests.Cnn;

/// <summary>
/// Learned kernels beside Sobel: the ONNX initializer reader, the measured one-line descriptions, the packaged ResNet18's
/// conv1, a trained cnn-scratch package's first layer, <c>pipeline features --model</c> and the report section.
/// </summary>
[Collection("Console")]
public sealed class LearnedKernelsTests
{
    private static ConvKernels Layer(params float[][] kernels) => new("test", [.. kernels.SelectMany(k => k)], kernels.Length, 1, 3, 3);

    [Fact]
    public void The_reader_finds_the_first_convolution_and_the_graph_inputs_of_a_written_network()
    {
        var weights = Enumerable.Range(0, 2 * 3 * 3 * 3).Select(i => (i % 7) - 3f).ToArray();
        var onnx = OnnxClassifierGraph.Build(3, 8, 8,
        [
            new OnnxConvolution(weights, [0.5f, -0.5f], 2, 3, 3, 1),
            new OnnxRelu(),
            new OnnxFlatten(),
            new OnnxDense(new float[4 * 2 * 8 * 8], new float[4], 4, 2 * 8 * 8),
        ], 4, "test");

        var graph = OnnxGraphReader.Parse(onnx);
        var input = Assert.Single(graph.Inputs);
        Assert.Equal(OnnxClassifierGraph.InputName, input.Name);
        Assert.Equal(OnnxValueInfo.FloatType, input.ElementType);
        Assert.Equal([1L, 3, 8, 8], input.Dims);
        Assert.Equal(OnnxClassifierGraph.OutputName, Assert.Single(graph.Outputs).Name);
        Assert.Equal(["Conv", "Relu", "Flatten", "Gemm", "Softmax"], graph.Nodes.Select(n => n.OpType));

        var first = graph.FirstConvolution();
        Assert.NotNull(first);
        Assert.Equal((2, 3, 3, 3), (first.Count, first.Channels, first.Height, first.Width));
        Assert.Equal(weights, first.Weights);
        Assert.Equal([0.5f, -0.5f], graph.FloatInitializer("t0.b", out var dims)!);
        Assert.Equal([2L], dims);
        Assert.Null(graph.FloatInitializer("no such tensor", out _));
    }

    [Fact]
    public void Bytes_that_are_not_an_onnx_model_are_refused()
    {
        Assert.Throws<InvalidDataException>(() => OnnxGraphReader.Parse("not an onnx model at all"u8.ToArray()));
        Assert.Throws<InvalidDataException>(() => OnnxGraphReader.Parse(new byte[] { 0x08, 0x07 })); // ir_version only, no graph
    }

    [Fact]
    public void The_packaged_ResNet18_first_layer_is_64_colour_7x7_kernels()
    {
        var conv1 = ResNet18Model.FirstLayerKernels();
        Assert.Equal((64, 3, 7, 7), (conv1.Count, conv1.Channels, conv1.Height, conv1.Width));
        Assert.True(conv1.ChannelsBgr);
        Assert.All(conv1.Weights, w => Assert.True(float.IsFinite(w)));

        // ImageNet's first layer is mostly oriented edges and colour blobs (Krizhevsky et al. 2012); the measured lines say so
        var lines = KernelAnalysis.DescribeAll(conv1);
        Assert.Equal(64, lines.Count);
        Assert.True(lines.Count(l => l.Contains("edge detector", StringComparison.Ordinal) || l.Contains("line / bar", StringComparison.Ordinal)) >= 16, string.Join('\n', lines));
        Assert.Contains(lines, l => l.Contains("colour", StringComparison.Ordinal));
    }

    [Fact]
    public void Sobel_like_kernels_are_described_as_edges_with_their_orientation()
    {
        var layer = Layer([.. Kernels.SobelX.Values], [.. Kernels.SobelY.Values], [1, 1, 1, 1, 1, 1, 1, 1, 1], [0, -1, 0, -1, 4, -1, 0, -1, 0], new float[9]);
        var lines = KernelAnalysis.DescribeAll(layer);
        Assert.StartsWith("#1: edge detector, vertical edges", lines[0], StringComparison.Ordinal);
        Assert.Contains("close to Sobel x (cos 1.00)", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("#2: edge detector, horizontal edges", lines[1], StringComparison.Ordinal);
        Assert.Contains("close to Sobel y", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("#3: bright blob / smoothing", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("#4: centre-surround spot detector", lines[3], StringComparison.Ordinal);
        Assert.Contains("unused", lines[4], StringComparison.Ordinal);

        var p = KernelAnalysis.Measure(layer, 0);
        Assert.InRange(p.Balance, -1e-9, 1e-9);
        Assert.InRange(p.OddShare, 0.999, 1.0);
        Assert.InRange(p.GradientDegrees, 0, 1e-6);
    }

    [Fact]
    public void A_kernel_that_weighs_red_against_green_is_colour_opponent()
    {
        var redMinusGreen = new ConvKernels("c", [.. Enumerable.Repeat(1f, 9), .. Enumerable.Repeat(-1f, 9), .. new float[9]], 1, 3, 3, 3);
        var line = Assert.Single(KernelAnalysis.DescribeAll(redMinusGreen));
        Assert.Contains("colour-opponent (red + vs green -", line, StringComparison.Ordinal);

        // the same weights seen as B, G, R (the packaged ResNet18's order): blue against green
        Assert.Contains("colour-opponent (blue + vs green -", Assert.Single(KernelAnalysis.DescribeAll(redMinusGreen with { ChannelsBgr = true })), StringComparison.Ordinal);
    }

    [Fact]
    public void A_trained_scratch_package_shows_its_first_layer_in_features_and_in_the_report()
    {
        var data = DatasetLoader.Load(MiniDatasetTests.MiniFolder());
        var folder = Directory.CreateTempSubdirectory("learned-kernels-").FullName;
        try
        {
            var path = Path.Combine(folder, "scratch.zip");
            var options = new TrainingOptions
            {
                Pipeline = new CnnScratchPipeline(),
                EvaluateOnTest = false,
                PipelineOptions = [new CnnScratchOptions { Epochs = 1, Patience = 1, BatchSize = 64, Threads = 1 }],
            };
            ModelTrainer.TrainAndSave(data, options, path, new DataWarnings());

            var layer = KernelPictures.TryReadFirstLayer(path);
            Assert.NotNull(layer);
            Assert.Equal((32, 1, 3, 3), (layer.Count, layer.Channels, layer.Height, layer.Width));
            Assert.Contains(layer.Weights, w => w != 0);

            var image = Path.Combine(folder, "item.png");
            File.WriteAllBytes(image, FeaturePictures.Render(data.Test[0].Source)[0].Png);
            var outDir = Path.Combine(folder, "features");
            Assert.Equal(0, Program.Run(["features", "--image", image, "--model", path, "--out", outDir], TextWriter.Null, CancellationToken.None));
            var text = File.ReadAllLines(Path.Combine(outDir, "kernels.txt"));
            Assert.Equal(33, text.Length); // a header and one line per kernel
            Assert.All(new[] { "kernels.png", "responses.png", "sobel-kernels.png", "sobel-responses.png", "gx.png" }, f => Assert.True(new FileInfo(Path.Combine(outDir, f)).Length > 100, f));

            // a hand-crafted package has no convolution to show: one error line
            Assert.Null(KernelPictures.TryReadFirstLayer(Path.Combine(folder, "missing.zip")));

            var run = ReportFixtures.CnnRun() with { FirstLayer = new FirstLayer(layer, ModelPackage.ReadMetadata(path).Input) };
            var report = Path.Combine(folder, "report");
            ComparisonReport.Write(ReportFixtures.Result(ReportFixtures.HandCraftedRun(), run), report, new KernelImages(data.Test[0].Source));
            var html = File.ReadAllText(Path.Combine(report, "report.html"));
            Assert.Contains("id=\"learned-kernels\"", html, StringComparison.Ordinal);
            Assert.Contains("#32: ", html, StringComparison.Ordinal);
            Assert.Equal(4, Directory.GetFiles(Path.Combine(report, ComparisonReport.ImagesFolder), "kernels-01-*").Length);

            // without an example image the section is left out
            ComparisonReport.Write(ReportFixtures.Result(ReportFixtures.HandCraftedRun(), run), report, NoReportImages.Instance);
            Assert.DoesNotContain("learned-kernels", File.ReadAllText(Path.Combine(report, "report.html")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Train_refuses_a_trainer_for_a_pipeline_that_trains_its_own_head()
    {
        var output = new StringWriter();
        Assert.Equal(2, Program.Run(["train", "--pipeline", "cnn-scratch", "--trainer", "lightgbm", "--out", "never.zip"], output, CancellationToken.None));
        Assert.False(File.Exists("never.zip"));
    }

    private sealed class KernelImages(ImageSource example) : IReportImages
    {
        public byte[]? ThumbnailPng(string imageName) => null;

        public IReadOnlyList<(string Caption, byte[] Png)> FeatureExamples() => [];

        public ImageSource? KernelExample() => example;
    }
}
