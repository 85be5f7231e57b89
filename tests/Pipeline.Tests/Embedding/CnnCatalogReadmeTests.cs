using ImageWorkbench.Runtime.Cnn;
using CliRunner = ImageWorkbench.Pipeline.Tests.Hostile.Cli;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Pipeline.Tests.Embedding;

/// <summary>README's example of <c>ml.Transforms.ExtractCnnFeatures</c> in a user's own ML.NET pipeline, run as written.</summary>
public class CnnCatalogReadmeTests
{
    private const int Side = 224;

    [Fact]
    public void The_readme_example_is_the_code_tested_here_and_its_model_reloads_in_a_fresh_context()
    {
        var source = File.ReadAllText(Path.Combine(CliRunner.RepoRoot(), "tests", "Pipeline.Tests", "Embedding", "CnnCatalogReadmeTests.cs"));
        var readme = File.ReadAllText(Path.Combine(CliRunner.RepoRoot(), "README.md"));
        Assert.Equal(
            HandCraftedCatalogTests.Block(source, "        // readme:begin\n", "        // readme:end\n", "        "),
            HandCraftedCatalogTests.Block(readme, "<!-- test:CnnCatalogReadmeTests -->\n```csharp\n", "```\n", string.Empty));

        var folder = Directory.CreateTempSubdirectory("readme-cnn-").FullName;
        try
        {
            var modelPath = Path.Combine(folder, "my-cnn-model.zip");
            var rows = Enumerable.Range(0, 8).Select(i => new PhotoRow { Pixels = Photo(i), Label = i % 2 == 0 ? "bright" : "dark" }).ToList();
            var scores = ReadmeExample(rows, modelPath);

            // The network is not inside the file (a few kB): a fresh context rebuilds it from the packaged ONNX file.
            Assert.True(new FileInfo(modelPath).Length < 1_000_000, $"{new FileInfo(modelPath).Length} bytes");
            var fresh = new MLContext();
            var loaded = fresh.Model.Load(modelPath, out _);
            var reloaded = loaded.Transform(fresh.Data.LoadFromEnumerable(rows)).GetColumn<float[]>("Score").ToList();
            Assert.Equal(scores, reloaded);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static List<float[]> ReadmeExample(List<PhotoRow> rows, string modelPath)
    {
        // readme:begin
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(rows);  // rows: "Pixels", 3 x 224 x 224 floats, planar RGB 0..1, and labels
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.ExtractCnnFeatures("Features", "Pixels", new CnnFeatureOptions { InputSize = 224 }))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy());
        var model = pipeline.Fit(data);
        ml.Model.Save(model, data.Schema, modelPath);  // a few kB: the network stays in the packaged ONNX file
        // readme:end
        return model.Transform(data).GetColumn<float[]>("Score").ToList();
    }

    /// <summary>A seeded gradient image: bright or dark by parity, so the two labels are learnable.</summary>
    private static float[] Photo(int index)
    {
        var random = new Random(index);
        var pixels = new float[3 * Side * Side];
        var level = index % 2 == 0 ? 0.8f : 0.2f;
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = Math.Clamp(level + ((float)random.NextDouble() * 0.2f) - 0.1f, 0f, 1f);
        }

        return pixels;
    }

    public sealed class PhotoRow
    {
        [VectorType(3 * Side * Side)]
        public float[] Pixels { get; set; } = [];

        public string Label { get; set; } = string.Empty;
    }
}
