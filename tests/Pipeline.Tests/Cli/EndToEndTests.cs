using ImageWorkbench.Pipeline.Data;
using System.Text.Json.Nodes;
using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Tests.Cli;

/// <summary>Trains one hand-crafted model on the embedded mini data set through the CLI and shares it.</summary>
public sealed class HandCraftedModelFixture : IDisposable
{
    public HandCraftedModelFixture()
    {
        Folder = Directory.CreateTempSubdirectory("e2e-").FullName;
        ModelPath = Path.Combine(Folder, "fm-hand.zip");
        var output = new StringWriter();
        ExitCode = Program.Run(["train", "--pipeline", "handcrafted", "--out", ModelPath], output, CancellationToken.None);
        TrainOutput = output.ToString();
    }

    public string Folder { get; }

    public string ModelPath { get; }

    public int ExitCode { get; }

    public string TrainOutput { get; }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

public sealed class EndToEndTests(HandCraftedModelFixture model) : IClassFixture<HandCraftedModelFixture>
{
    [Fact]
    public void Train_on_the_embedded_data_writes_a_package_with_metadata()
    {
        Assert.True(model.ExitCode == 0, model.TrainOutput);
        var metadata = ModelPackage.ReadMetadata(model.ModelPath);
        Assert.Equal("handcrafted", metadata.PipelineKind);
        Assert.Equal("grey28-v1", metadata.FeatureSet);
        Assert.Equal(10, metadata.Classes.Count);
        Assert.Equal("T-shirt/top", metadata.Classes[0]);
        Assert.Equal(new ModelInput(28, 28, 1, "Stretch", 1f), metadata.Input);
        Assert.Equal(1000, metadata.Training.TrainCount);
        Assert.Equal(500, metadata.Training.TestCount);

        // 1,000 training images of Fashion-MNIST: HOG features should be far above chance (0.1).
        Assert.InRange(metadata.Training.TestAccuracy!.Value, 0.70, 1.0);
        Assert.Empty(Directory.GetFiles(model.Folder, "*.tmp"));
    }

    [Fact]
    public void Evaluate_json_has_the_documented_keys_and_agrees_with_training()
    {
        var json = Path.Combine(model.Folder, "eval.json");
        var output = new StringWriter();
        Assert.Equal(0, Program.Run(["evaluate", "--model", model.ModelPath, "--json", json], output, CancellationToken.None));
        var root = JsonNode.Parse(File.ReadAllText(json))!.AsObject();
        foreach (var key in new[] { "accuracy", "macroAccuracy", "logLoss", "classes", "perClass", "confusionMatrix" })
        {
            Assert.True(root.ContainsKey(key), key);
        }

        var metadata = ModelPackage.ReadMetadata(model.ModelPath);
        Assert.Equal(metadata.Training.TestAccuracy!.Value, root["accuracy"]!.GetValue<double>(), 12);
        var matrix = root["confusionMatrix"]!.AsArray();
        Assert.Equal(10, matrix.Count);
        Assert.Equal(500, matrix.Sum(r => r!.AsArray().Sum(v => v!.GetValue<int>())));
        var perClass = root["perClass"]!.AsArray();
        Assert.All(perClass, p => Assert.Equal(50, p!["support"]!.GetValue<int>()));
    }

    [Fact]
    public void Predict_reloaded_model_matches_in_a_fresh_context_and_reports_bad_images()
    {
        var folder = Directory.CreateTempSubdirectory("predict-").FullName;
        try
        {
            var data = DatasetLoader.Load(EmbeddedDataset.Locate());
            var png = Path.Combine(folder, "item one.png");
            WritePng(data.Test[0].Source, png);
            var broken = Path.Combine(folder, "broken.png");
            File.WriteAllBytes(broken, [1, 2, 3]);

            var output = new StringWriter();
            var code = Program.Run(["predict", "--model", model.ModelPath, "--json", png, broken], output, CancellationToken.None);
            Assert.Equal(1, code); // one image could not be read
            var results = JsonNode.Parse(output.ToString())!.AsArray();
            Assert.Equal(2, results.Count);
            using var classifier = ImageClassifier.Load(model.ModelPath);
            var expected = classifier.Predict(png);
            Assert.Equal(expected.Label, results[0]!["label"]!.GetValue<string>());
            Assert.Equal(expected.Confidence, results[0]!["confidence"]!.GetValue<float>(), 5);
            Assert.Contains("broken.png", results[1]!["error"]!.GetValue<string>());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Features_writes_sobel_and_hog_pictures()
    {
        var folder = Directory.CreateTempSubdirectory("features-").FullName;
        try
        {
            var data = DatasetLoader.Load(EmbeddedDataset.Locate());
            var png = Path.Combine(folder, "shoe.png");
            WritePng(data.Test.First(i => data.Classes[i.Label] == "Sneaker").Source, png);
            var outDir = Path.Combine(folder, "edges");
            Assert.Equal(0, Program.Run(["features", "--image", png, "--out", outDir], TextWriter.Null, CancellationToken.None));
            foreach (var name in new[] { "gx.png", "gy.png", "magnitude.png", "hog.png" })
            {
                var file = Path.Combine(outDir, name);
                Assert.True(File.Exists(file), name);
                Assert.True(ImageDecoder.Default.TryDecode(ImageSource.FromFile(file), new FeatureExtractors.ImageShape(8, 8, 1), FeatureExtractors.ResizeMode.Stretch, new float[64], out var error), error);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Bad_inputs_give_one_error_line_and_exit_code_1()
    {
        Assert.Equal(1, Program.Run(["evaluate", "--model", Path.Combine(model.Folder, "missing.zip")], TextWriter.Null, CancellationToken.None));
        Assert.Equal(1, Program.Run(["train", "--data", Path.Combine(model.Folder, "no-such-folder"), "--out", Path.Combine(model.Folder, "x.zip")], TextWriter.Null, CancellationToken.None));
        Assert.False(File.Exists(Path.Combine(model.Folder, "x.zip")));
    }

    [Fact]
    public void Compare_with_a_missing_readme_block_fails_before_training()
    {
        var readme = Path.Combine(model.Folder, "README-no-block.md");
        File.WriteAllText(readme, "# no generated block\n");
        var outDir = Path.Combine(model.Folder, "compare-no-block");
        var output = new StringWriter();
        Assert.Equal(1, Program.Run(["compare", "--data", "fashion-mnist-mini", "--pipelines", "handcrafted", "--out", outDir, "--readme", readme, "--section", "results-x"], output, CancellationToken.None));
        Assert.False(Directory.Exists(outDir), "nothing was trained or written");
        Assert.Equal("# no generated block\n", File.ReadAllText(readme));
    }

    [Fact]
    public void Compare_report_json_has_intervals_train_accuracy_calibration_and_the_paired_test()
    {
        // A small trained run (lbfgs, 20 images per class), then that model against the shared one: a real pair, both code paths.
        var trained = Path.Combine(model.Folder, "compare-small");
        var paired = Path.Combine(model.Folder, "compare-pair");
        string[] small = ["--max-test-per-class", "8"];
        Assert.Equal(0, Program.Run(["compare", "--data", "fashion-mnist-mini", "--pipelines", "handcrafted", "--max-train-per-class", "20", .. small, "--out", trained], new StringWriter(), CancellationToken.None));
        var output = new StringWriter();
        var code = Program.Run(["compare", "--models", $"{Path.Combine(trained, "handcrafted.zip")},{model.ModelPath}", .. small, "--out", paired], output, CancellationToken.None);
        Assert.True(code == 0, output.ToString());

        foreach (var folder in new[] { trained, paired })
        {
            var report = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "report.json")))!;
            foreach (var run in report["results"]!.AsArray())
            {
                var ci = run!["accuracyCi95"]!.AsArray().Select(x => (double)x!).ToArray();
                Assert.Equal(2, ci.Length);
                Assert.InRange((double)run["accuracy"]!, ci[0], ci[1]);
                var f1 = run["macroF1Ci95"]!.AsArray().Select(x => (double)x!).ToArray();
                Assert.InRange((double)run["macroF1"]!, f1[0], f1[1]);
                Assert.InRange((double)run["trainAccuracy"]!, 0.5, 1.0); // recorded from the fitted model, not left null
                Assert.InRange((double)run["ece"]!, 0.0, 1.0);
            }
        }

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(paired, "report.json")))!;
        var pair = Assert.Single(json["pairwise"]!.AsArray())!;
        Assert.Equal((string?)json["dataset"]!["name"], (string?)pair["datasetName"]);
        var (onlyA, onlyB) = ((int)pair["onlyARight"]!, (int)pair["onlyBRight"]!);
        Assert.Equal(ImageWorkbench.Pipeline.Evaluation.McNemar.ExactP(onlyA, onlyB), (double)pair["mcnemarP"]!, 12);
        Assert.Equal((onlyB - onlyA) / (double)(int)json["dataset"]!["testCount"]!, (double)pair["accuracyDifference"]!, 12);
        Assert.Equal(2, pair["accuracyDifferenceCi95"]!.AsArray().Count);
        Assert.Contains("## Uncertainty, over-fitting and calibration", File.ReadAllText(Path.Combine(paired, "report.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Cancelled_training_leaves_no_output()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var outPath = Path.Combine(model.Folder, "cancelled.zip");
        Assert.Equal(1, Program.Run(["train", "--out", outPath], TextWriter.Null, cancelled.Token));
        Assert.False(File.Exists(outPath));
        Assert.Empty(Directory.GetFiles(model.Folder, "*.tmp"));
    }

    private static void WritePng(ImageSource source, string path)
    {
        var pixels = new float[28 * 28];
        ImageDecoder.Default.Decode(source, new FeatureExtractors.ImageShape(28, 28, 1), FeatureExtractors.ResizeMode.Stretch, pixels);
        Pipeline.Pictures.PngWriter.Write(path, pixels, new FeatureExtractors.ImageShape(28, 28, 1));
    }
}
