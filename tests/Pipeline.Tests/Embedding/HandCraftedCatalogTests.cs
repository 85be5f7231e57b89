using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Tests.Hostile;
using CliRunner = ImageWorkbench.Pipeline.Tests.Hostile.Cli;
using ImageWorkbench.Runtime.HandCrafted;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Pipeline.Tests.Embedding;

/// <summary><c>ml.Transforms.ExtractHandCraftedFeatures(options)</c>, and README's example of it run as written.</summary>
public sealed class HandCraftedCatalogTests
{
    [Fact]
    public void A_preset_gives_the_preset_extractors_features_under_any_column_names()
    {
        var ml = new MLContext(1);
        var images = Rows(4, seed: 3);
        var data = ml.Data.LoadFromEnumerable(images.Select(p => new DigitRow { Image = p, Label = "a" }));
        var model = ml.Transforms.ExtractHandCraftedFeatures(HandCraftedFeatureOptions.Grey28V1, outputColumnName: "Hog", inputColumnName: "Image").Fit(data);
        var output = model.Transform(data);
        Assert.Null(output.Schema.GetColumnOrNull("Pixels"));
        Assert.Null(output.Schema.GetColumnOrNull("Features"));
        var features = output.GetColumn<float[]>("Hog").ToList();
        var extractor = FeatureSetPresets.Grey28V1.CreateExtractor();
        for (var i = 0; i < images.Count; i++)
        {
            var expected = new float[extractor.OutputLength];
            extractor.Extract(images[i], expected);
            Assert.Equal(expected, features[i]);
        }
    }

    [Fact]
    public void Custom_options_describe_their_own_set_and_only_presets_are_saved()
    {
        var custom = HandCraftedFeatureOptions.Grey28V1 with { HogBins = 12, HogSigned = true, Kernel = GradientOperator.Sobel, EdgeDensity = true };
        Assert.Null(custom.PresetName);
        Assert.Equal("grey28-v1", HandCraftedFeatureOptions.Grey28V1.PresetName);
        var definition = custom.ToDefinition();
        Assert.Equal(["hog", "edges", "colour"], definition.Segments.Select(s => s.Name));
        Assert.Contains("bins=12,signed,sobel", definition.Describe(), StringComparison.Ordinal);

        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Rows(2, seed: 5).Select(p => new PixelsOnly { Pixels = p }));
        var model = ml.Transforms.ExtractHandCraftedFeatures(custom).Fit(data);
        Assert.Equal(definition.OutputLength, ((VectorDataViewType)model.GetOutputSchema(data.Schema)["Features"].Type).Size);
        Assert.Equal(definition.OutputLength, model.Transform(data).GetColumn<float[]>("Features").First().Length);
        Assert.ThrowsAny<InvalidOperationException>(() => ml.Model.Save(model, data.Schema, new MemoryStream()));
        Assert.Throws<Runtime.WorkbenchException>(() => (custom with { Hog = false, EdgeDensity = false, ColourStatistics = false }).ToDefinition());
    }

    [Fact]
    public void The_readme_example_is_the_code_tested_here_and_its_model_reloads_in_a_fresh_context()
    {
        var source = File.ReadAllText(Path.Combine(CliRunner.RepoRoot(), "tests", "Pipeline.Tests", "Embedding", "HandCraftedCatalogTests.cs"));
        var readme = File.ReadAllText(Path.Combine(CliRunner.RepoRoot(), "README.md"));
        Assert.Equal(Block(source, "        // readme:begin\n", "        // readme:end\n", "        "), Block(readme, "<!-- test:HandCraftedCatalogTests -->\n```csharp\n", "```\n", string.Empty));

        var folder = Directory.CreateTempSubdirectory("readme-").FullName;
        try
        {
            var modelPath = Path.Combine(folder, "my-model.zip");
            var rows = Rows(40, seed: 9).Select((p, i) => new DigitRow { Image = p, Label = i % 2 == 0 ? "even" : "odd" }).ToList();
            var scores = ReadmeExample(rows, modelPath);

            var fresh = new MLContext(); // nothing registered: ML.NET finds the hand-crafted mapping itself
            var loaded = fresh.Model.Load(modelPath, out _);
            var reloaded = loaded.Transform(fresh.Data.LoadFromEnumerable(rows)).GetColumn<float[]>("Score").ToList();
            Assert.Equal(scores, reloaded);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static List<float[]> ReadmeExample(List<DigitRow> rows, string modelPath)
    {
        // readme:begin
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(rows);  // rows: your images as 28x28 grey pixels 0..1, and labels
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.ExtractHandCraftedFeatures(HandCraftedFeatureOptions.Grey28V1, "Features", inputColumnName: "Image"))
            .Append(ml.Transforms.NormalizeMeanVariance("Features"))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy());
        var model = pipeline.Fit(data);
        ml.Model.Save(model, data.Schema, modelPath);  // a preset is saved with the model; custom options work in memory
        // readme:end
        return model.Transform(data).GetColumn<float[]>("Score").ToList();
    }

    internal static string Block(string text, string begin, string end, string indent)
    {
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        var start = text.IndexOf(begin, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no '{begin.Trim()}' marker");
        start += begin.Length;
        var lines = text[start..text.IndexOf(end, start, StringComparison.Ordinal)].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', lines.Select(l => l.StartsWith(indent, StringComparison.Ordinal) ? l[indent.Length..] : l));
    }

    private static List<float[]> Rows(int count, int seed) =>
        [.. Enumerable.Range(0, count).Select(i =>
        {
            using var bitmap = HostileFiles.Pixels(28, 28, i % 2, seed + i);
            return bitmap.Pixels.Select(p => p.Red / 255f).ToArray();
        })];

    public sealed class DigitRow
    {
        [VectorType(784)]
        public float[] Image { get; set; } = [];

        public string Label { get; set; } = string.Empty;
    }

    private sealed class PixelsOnly
    {
        [VectorType(784)]
        public float[] Pixels { get; set; } = [];
    }
}
