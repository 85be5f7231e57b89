using System.Diagnostics;
using System.Text.Json.Nodes;
using ImageWorkbench.Pipeline.Tests.Hostile;
using CliRunner = ImageWorkbench.Pipeline.Tests.Hostile.Cli;
using ImageWorkbench.Runtime.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Pipeline.Tests.Embedding;

/// <summary>Both pipelines trained by <c>pipeline train</c> on small generated data (two classes of 32x32 pictures).</summary>
public sealed class StandardModelFixture : IDisposable
{
    public StandardModelFixture()
    {
        Folder = Directory.CreateTempSubdirectory("standard-model-").FullName;
        var data = Path.Combine(Folder, "data");
        foreach (var (cls, name) in new[] { (0, "left"), (1, "right") })
        {
            var dir = Directory.CreateDirectory(Path.Combine(data, name)).FullName;
            for (var i = 0; i < 10; i++)
            {
                File.WriteAllBytes(Path.Combine(dir, $"{i}.png"), HostileFiles.Picture(32, 32, cls, (cls * 100) + i));
            }
        }

        Images = [.. Enumerable.Range(0, 6).Select(i =>
        {
            var path = Path.Combine(Folder, $"query-{i}.png");
            File.WriteAllBytes(path, HostileFiles.Picture(40, 30, i % 2, 1000 + i));
            return path;
        })];
        HandCrafted = Path.Combine(Folder, "hand.zip");
        Cnn = Path.Combine(Folder, "cnn.zip");
        HandCraftedTrain = CliRunner.Run(TimeSpan.FromMinutes(3), "train", "--pipeline", "handcrafted", "--data", data, "--out", HandCrafted);
        CnnTrain = CliRunner.Run(TimeSpan.FromMinutes(5), "train", "--pipeline", "cnn", "--input-size", "64", "--resize", "pad", "--no-cache", "--data", data, "--out", Cnn);
    }

    public string Folder { get; }

    public string HandCrafted { get; }

    public string Cnn { get; }

    public IReadOnlyList<string> Images { get; }

    internal CliResult HandCraftedTrain { get; }

    internal CliResult CnnTrain { get; }

    public string Model(string pipeline)
    {
        var (model, train) = pipeline == "cnn" ? (Cnn, CnnTrain) : (HandCrafted, HandCraftedTrain);
        Assert.True(train.ExitCode == 0, train.ToString());
        return model;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

/// <summary>
/// The "done when": an app referencing only the runtime (samples/ConsoleApp) loads a model <c>pipeline train</c>
/// wrote with <c>mlContext.Model.Load</c> and predicts <c>PredictedLabel</c> from <c>ImageSource</c> bytes, with the labels
/// <c>pipeline predict</c> gives; and the same through <c>AddImageClassifier</c>.
/// </summary>
[Collection("Console")]
public sealed class StandardModelFileTests(StandardModelFixture fixture) : IClassFixture<StandardModelFixture>
{
    [Theory]
    [InlineData("handcrafted")]
    [InlineData("cnn")]
    public void The_console_app_gets_the_labels_of_pipeline_predict_in_a_fresh_process(string pipeline)
    {
        var model = fixture.Model(pipeline);
        var expected = CliLabels(model);
        Assert.Equal(expected, ConsoleAppLabels([model, .. fixture.Images]));
        Assert.Equal(expected, ConsoleAppLabels(["--di", model, .. fixture.Images]));
    }

    [Theory]
    [InlineData("handcrafted")]
    [InlineData("cnn")]
    public void Plain_ml_net_loads_it_with_class_names_and_ignores_a_label_column(string pipeline)
    {
        var model = fixture.Model(pipeline);
        var ml = new MLContext();
        var loaded = ml.Model.Load(model, out var schema);
        Assert.Equal("ImageSource", Assert.Single(schema).Name);
        var output = loaded.GetOutputSchema(schema);
        VBuffer<ReadOnlyMemory<char>> slots = default;
        output["Score"].GetSlotNames(ref slots);
        Assert.Equal(["left", "right"], slots.DenseValues().Select(s => s.ToString()));
        Assert.Equal(TextDataViewType.Instance, output["PredictedLabel"].Type);

        // Model Builder's generated input class has a Label too: it is ignored
        var engine = ml.Model.CreatePredictionEngine<ModelBuilderInput, ImageModelOutput>(loaded);
        var labels = fixture.Images.Select(i => engine.Predict(new ModelBuilderInput { ImageSource = File.ReadAllBytes(i), Label = "whatever" }).PredictedLabel).ToArray();
        Assert.Equal(CliLabels(model), labels);

        // an undecodable image inside the graph is an error naming the column, not a wrong answer
        var ex = Assert.ThrowsAny<Exception>(() => engine.Predict(new ModelBuilderInput { ImageSource = [1, 2, 3] }));
        Assert.Contains("ImageSource", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddImageClassifier_gives_the_classifier_and_the_ml_net_engine()
    {
        var model = fixture.Model("handcrafted");
        using var services = new ServiceCollection().AddImageClassifier(model).BuildServiceProvider();
        var classifier = services.GetRequiredService<ImageClassifier>();
        var engine = services.GetRequiredService<ImageModelEngine>();
        Assert.Same(classifier, services.GetRequiredService<ImageClassifier>());
        var expected = CliLabels(model);
        Assert.Equal(expected, fixture.Images.Select(i => classifier.Predict(i).Label).ToArray());
        Assert.Equal(expected, fixture.Images.Select(i => engine.Predict(File.ReadAllBytes(i)).PredictedLabel).ToArray());
    }

    private string[] CliLabels(string model)
    {
        var predict = CliRunner.Run(["predict", "--model", model, "--json", .. fixture.Images]);
        Assert.True(predict.ExitCode == 0, predict.ToString());
        return [.. JsonNode.Parse(predict.Out)!.AsArray().Select(n => n!["label"]!.GetValue<string>())];
    }

    /// <summary>samples/ConsoleApp in a child process (a fresh process: nothing registered, nothing loaded), bounded in time.</summary>
    internal static string[] ConsoleAppLabels(string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(SampleBuild.Dll("ConsoleApp"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"ConsoleApp {string.Join(' ', args)} did not finish within 120 s");
        }

        Assert.True(process.ExitCode == 0, $"ConsoleApp exited {process.ExitCode}\n{output.Result}\n{error.Result}");
        return [.. output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line[(line.LastIndexOf(": ", StringComparison.Ordinal) + 2)..].TrimEnd('\r'))];
    }

    public sealed class ModelBuilderInput
    {
        [ColumnName("Label")]
        public string Label { get; set; } = string.Empty;

        [ColumnName("ImageSource")]
        public byte[] ImageSource { get; set; } = [];
    }
}

/// <summary>Where a sample's build output is, for the configuration these tests were built in (it builds with them).</summary>
internal static class SampleBuild
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static string Dll(string sample)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", sample, "bin", Configuration, "net10.0", sample + ".dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"samples/{sample} has not been built (it builds with the test project)");
    }
}
