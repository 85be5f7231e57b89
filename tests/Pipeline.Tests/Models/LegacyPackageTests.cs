using ImageWorkbench.Pipeline.Tests.Hostile;
using CliRunner = ImageWorkbench.Pipeline.Tests.Hostile.Cli;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Tests.Models;

/// <summary>
/// A package written by main before format 3 (commit ff9aab1: <c>pipeline train --pipeline handcrafted</c> on the
/// embedded data, default seed): metadata.json, mlnet-model.zip (pixels in) and SHA256SUMS. Kept in the repository.
/// </summary>
internal static class LegacyPackages
{
    private static readonly Lazy<string> Picture = new(() =>
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("legacy-").FullName, "query.png");
        File.WriteAllBytes(path, HostileFiles.Picture(28, 28, 1, 7));
        return path;
    });

    public static string Format2HandCrafted => Path.Combine(CliRunner.RepoRoot(), "tests", "Pipeline.Tests", "Models", "Legacy", "format2-handcrafted.zip");

    /// <summary>A generated 28x28 picture to predict.</summary>
    public static string Image => Picture.Value;
}

[Collection("Console")]
public sealed class LegacyPackageTests
{
    [Fact]
    public void A_format_2_package_from_main_predicts_as_a_new_package_trained_the_same_way()
    {
        Assert.Equal(2, ModelPackage.ReadMetadata(LegacyPackages.Format2HandCrafted).FormatVersion);
        var folder = Directory.CreateTempSubdirectory("legacy-new-").FullName;
        try
        {
            var images = Enumerable.Range(0, 6).Select(i =>
            {
                var path = Path.Combine(folder, $"{i}.png");
                File.WriteAllBytes(path, HostileFiles.Picture(28, 28, i % 3, 50 + i));
                return path;
            }).ToArray();
            var fresh = Path.Combine(folder, "new.zip");
            var train = CliRunner.Run(TimeSpan.FromMinutes(3), "train", "--pipeline", "handcrafted", "--out", fresh);
            Assert.True(train.ExitCode == 0, train.ToString());
            Assert.Equal(ModelMetadata.CurrentFormatVersion, ModelPackage.ReadMetadata(fresh).FormatVersion);

            // same data, same seed: the same model, whichever way it was saved
            var legacy = CliRunner.Run(["predict", "--model", LegacyPackages.Format2HandCrafted, "--json", "--top", "10", .. images]);
            var current = CliRunner.Run(["predict", "--model", fresh, "--json", "--top", "10", .. images]);
            Assert.True(legacy.ExitCode == 0, legacy.ToString());
            AssertSamePredictions(legacy.Out, current.Out);

            using var classifier = ImageClassifier.Load(LegacyPackages.Format2HandCrafted);
            var labels = System.Text.Json.Nodes.JsonNode.Parse(legacy.Out)!.AsArray().Select(n => n!["label"]!.GetValue<string>());
            Assert.Equal(labels, images.Select(i => classifier.Predict(i).Label));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// The legacy package was trained on another machine: feature SIMD paths and the L-BFGS fit differ in the last bits
    /// between CPUs, and L-BFGS carries that into the weights (measured: a confidence of 0.9979 there, 0.9964 on an AMD
    /// EPYC here). So: the same labels, and scores equal within 0.02 matched by class name (a tie among near-zero scores
    /// may reorder the top-k list). A package read with the wrong featurizer or head is far outside that.
    /// </summary>
    private static void AssertSamePredictions(string legacyJson, string currentJson)
    {
        var legacy = System.Text.Json.Nodes.JsonNode.Parse(legacyJson)!.AsArray();
        var current = System.Text.Json.Nodes.JsonNode.Parse(currentJson)!.AsArray();
        Assert.Equal(current.Count, legacy.Count);
        for (var i = 0; i < legacy.Count; i++)
        {
            Assert.Equal(current[i]!["image"]!.GetValue<string>(), legacy[i]!["image"]!.GetValue<string>());
            Assert.Equal(current[i]!["label"]!.GetValue<string>(), legacy[i]!["label"]!.GetValue<string>());
            Assert.Equal(current[i]!["confidence"]!.GetValue<double>(), legacy[i]!["confidence"]!.GetValue<double>(), 0.02);
            var currentScores = current[i]!["scores"]!.AsArray().ToDictionary(s => s!["label"]!.GetValue<string>(), s => s!["score"]!.GetValue<double>());
            var legacyScores = legacy[i]!["scores"]!.AsArray().ToDictionary(s => s!["label"]!.GetValue<string>(), s => s!["score"]!.GetValue<double>());
            Assert.Equal(currentScores.Keys.Order(), legacyScores.Keys.Order());
            foreach (var (label, score) in legacyScores)
            {
                Assert.Equal(currentScores[label], score, 0.02);
            }
        }
    }
}
