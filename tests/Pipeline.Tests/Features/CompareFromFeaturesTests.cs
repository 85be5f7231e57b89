using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageWorkbench.Pipeline.Tests.Data;
using ImageWorkbench.Pipeline.Tests.Hostile;
using CliRunner = ImageWorkbench.Pipeline.Tests.Hostile.Cli;

namespace ImageWorkbench.Pipeline.Tests.Features;

/// <summary>
/// <c>compare --features A,B</c>: heads fitted on stored shards meet on the same test rows with the accuracy a direct
/// run gives, latency is timed on the stored test files, and folders of another split or with image options are refused.
/// </summary>
[Collection("Console")]
public class CompareFromFeaturesTests
{
    private static readonly string[] Subset = ["--data", "caltech101-mini", "--max-train-per-class", "8", "--max-test-per-class", "4"];

    private static void Featurize(string folder, string featureSet, params string[] extra)
    {
        foreach (var shard in new[] { "0/2", "1/2" })
        {
            var result = CliRunner.Run(TimeSpan.FromSeconds(120), ["featurize", .. Subset, .. extra, "--pipeline", "handcrafted", "--feature-set", featureSet, "--shard", shard, "--out", folder]);
            Assert.True(result.ExitCode == 0, result.ToString());
        }
    }

    private static double DirectAccuracy(string featureSet, string model)
    {
        var result = CliRunner.Run(TimeSpan.FromSeconds(120), ["train", .. Subset, "--pipeline", "handcrafted", "--feature-set", featureSet, "--out", model]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var match = Regex.Match(result.Out, @"test:\s+accuracy ([0-9.]+)");
        Assert.True(match.Success, result.Out);
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Heads_from_stored_features_match_direct_runs_and_other_splits_are_refused()
    {
        using var dir = new TempDir();
        Featurize(dir.PathOf("v1"), "rgb64-v1");
        Featurize(dir.PathOf("v2"), "rgb64-v2");

        var compared = CliRunner.Run(TimeSpan.FromSeconds(180), "compare", "--features", $"{dir.PathOf("v1")},{dir.PathOf("v2")}", "--out", dir.PathOf("report"));
        Assert.True(compared.ExitCode == 0, compared.ToString());
        using var report = JsonDocument.Parse(File.ReadAllText(dir.PathOf("report/report.json")));
        var results = report.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["rgb64-v1", "rgb64-v2"], results.Select(r => r.GetProperty("featureSet").GetString()));
        Assert.True(File.Exists(dir.PathOf("report/handcrafted.zip")) && File.Exists(dir.PathOf("report/handcrafted-2.zip")), "one model per folder, named apart");
        for (var i = 0; i < 2; i++)
        {
            var accuracy = results[i].GetProperty("accuracy").GetDouble();
            Assert.Equal(DirectAccuracy(i == 0 ? "rgb64-v1" : "rgb64-v2", dir.PathOf($"direct{i}.zip")), accuracy, 4);
            Assert.Equal(JsonValueKind.Number, results[i].GetProperty("predictMillisecondsP50").ValueKind); // the stored test files were readable
            Assert.Equal(JsonValueKind.Null, results[i].GetProperty("featurizeImagesPerSecond").ValueKind); // not measured by this run
        }

        // Another split (fewer test images): one error line naming the odd folder, nothing written.
        foreach (var shard in new[] { "0/1" })
        {
            var other = CliRunner.Run(TimeSpan.FromSeconds(120), "featurize", "--data", "caltech101-mini", "--max-train-per-class", "8", "--max-test-per-class", "3", "--pipeline", "handcrafted", "--shard", shard, "--out", dir.PathOf("odd"));
            Assert.True(other.ExitCode == 0, other.ToString());
        }

        var refused = CliRunner.Run(TimeSpan.FromSeconds(120), "compare", "--features", $"{dir.PathOf("v1")},{dir.PathOf("odd")}", "--out", dir.PathOf("report2"));
        refused.AssertOneErrorNaming(dir.PathOf("odd"));
        Assert.False(Directory.Exists(dir.PathOf("report2")));

        // The shards fix the data and split: data options are usage errors.
        Assert.Equal(2, CliRunner.Run("compare", "--features", dir.PathOf("v1"), "--data", "caltech101-mini", "--out", dir.PathOf("report3")).ExitCode);
        Assert.Equal(2, CliRunner.Run("compare", "--features", dir.PathOf("v1"), "--learning-curve", "5,all", "--out", dir.PathOf("report3")).ExitCode);
    }
}
