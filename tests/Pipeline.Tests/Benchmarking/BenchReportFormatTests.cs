using System.Text.Json;
using ImageWorkbench.Pipeline.Benchmarking;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Tests.Benchmarking;

/// <summary>bench.json and the README performance table from a fixed <see cref="BenchResult"/> (no measuring).</summary>
public sealed class BenchReportFormatTests
{
    private static BenchResult Fixture() => new(
        new MachineInfo("2 cores, 24 GiB, Linux, .NET 10.0.0", 2, 25_276_026_880, "Linux", "X64", ".NET 10.0.0", null),
        "pipeline bench --out bench.json",
        new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero),
        new DatasetSummary("fashion-mnist-mini", "datasets/fashion-mnist-mini", [.. Enumerable.Range(0, 10).Select(i => $"c{i}")], 1000, 500),
        new BenchOptions(),
        [
            Run("handcrafted", modelBytes: 92_200, peak: 114_200_000, allocated: 1_412.4, p50: 0.018),
            Run("cnn", modelBytes: 59_700_000, peak: 987_300_000, allocated: 592_400, p50: double.NaN),
        ]);

    private static PipelineBench Run(string pipeline, long modelBytes, long peak, double allocated, double p50) => new()
    {
        Pipeline = pipeline,
        Trainer = "lbfgs",
        FeatureSet = "fs",
        FeatureLength = 10,
        FeaturizeSamples = 200,
        FeaturizeImagesPerSecondOneThread = 133_098,
        FeaturizeImagesPerSecondAllThreads = 287_480,
        FeaturizeThreads = 2,
        DecodeFeaturizeImagesPerSecondOneThread = 112_596,
        DecodeFeaturizeImagesPerSecondAllThreads = 263_963,
        TrainCount = 1000,
        TrainFeaturizeSeconds = 0.3,
        TrainSeconds = 1.23,
        TrainTotalSeconds = 1.87,
        TestAccuracy = double.NaN,
        ModelLoadSeconds = 0.2,
        PredictSamples = 200,
        PredictMillisecondsP50 = p50,
        PredictMillisecondsP95 = 0.033,
        BatchImagesPerSecond = 27_219,
        FilePredictSamples = 1_000,
        FilePredictImagesPerSecond = 9_512,
        AllocatedBytesPerPrediction = allocated,
        ModelBytes = modelBytes,
        PeakWorkingSetBytes = peak,
    };

    [Fact]
    public void Table_uses_megabytes_with_the_unit_in_the_header_and_one_missing_token()
    {
        var table = BenchMarkdown.Table(Fixture());
        var lines = table.Split('\n');
        Assert.Contains("| Predict p50 / p95 (ms) |", lines[0], StringComparison.Ordinal);
        Assert.Contains("| Managed alloc / prediction (kB) | Model (MB) | Peak working set (MB) |", lines[0], StringComparison.Ordinal);
        Assert.Equal("| handcrafted (fs, lbfgs) | 133,098 | 287,480 (2 threads) | 112,596 / 263,963 | 1.23 s | 1.87 s (1,000 images) | – | 0.018 / 0.033 | 27,219 / 9,512 | 1.4 | 0.0922 | 114 |", lines[2]);
        Assert.StartsWith("| cnn (fs, lbfgs) |", lines[3], StringComparison.Ordinal);
        Assert.Contains("| Train images/s (network) |", lines[0], StringComparison.Ordinal);
        Assert.Contains("| – / 0.033 |", lines[3], StringComparison.Ordinal);
        Assert.EndsWith("| 592.4 | 59.7 | 987 |", lines[3], StringComparison.Ordinal);
        Assert.DoesNotContain("MiB", table, StringComparison.Ordinal);
        Assert.DoesNotContain("KiB", table, StringComparison.Ordinal);
        Assert.DoesNotContain("n/a", table, StringComparison.Ordinal);
        Assert.Contains("MB = 1,000,000 bytes", table, StringComparison.Ordinal);
    }

    [Fact]
    public void Generated_block_takes_the_table_and_nothing_else_changes()
    {
        var readme = Path.Combine(Directory.CreateTempSubdirectory("bench-readme-").FullName, "README.md");
        try
        {
            File.WriteAllText(readme, "# T\n\n<!-- generated:performance:begin -->\nold\n<!-- generated:performance:end -->\n\nafter\n");
            GeneratedSection.Replace(readme, "performance", BenchMarkdown.Table(Fixture()));
            var text = File.ReadAllText(readme);
            Assert.StartsWith("# T\n\n<!-- generated:performance:begin -->\n| Pipeline |", text, StringComparison.Ordinal);
            Assert.EndsWith("`pipeline bench --out bench.json`.\n<!-- generated:performance:end -->\n\nafter\n", text, StringComparison.Ordinal);
            Assert.DoesNotContain("old", text, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(readme)!, recursive: true);
        }
    }

    [Fact]
    public void Bench_json_is_the_records_with_unmeasured_figures_as_null()
    {
        using var doc = JsonDocument.Parse(ResultJson.ToText(BenchJson.Document(Fixture())));
        var root = doc.RootElement;
        Assert.Equal(BenchJson.TopLevelKeys, root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(BenchJson.MachineKeys, root.GetProperty("machine").EnumerateObject().Select(p => p.Name));
        Assert.Equal(BenchJson.DatasetKeys, root.GetProperty("dataset").EnumerateObject().Select(p => p.Name));
        Assert.Equal(BenchJson.SettingsKeys, root.GetProperty("settings").EnumerateObject().Select(p => p.Name));
        var cnn = root.GetProperty("results")[1];
        Assert.Equal(BenchJson.ResultKeys, cnn.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("2025-03-04T05:06:07.000Z", root.GetProperty("createdUtc").GetString());
        Assert.Equal(10, root.GetProperty("dataset").GetProperty("classCount").GetInt32());
        Assert.Equal(JsonValueKind.Null, cnn.GetProperty("predictMillisecondsP50").ValueKind);
        Assert.Equal(JsonValueKind.Null, cnn.GetProperty("testAccuracy").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("machine").GetProperty("cpuModel").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("settings").GetProperty("maxIterations").ValueKind);
        Assert.Equal(1412, root.GetProperty("results")[0].GetProperty("allocatedBytesPerPrediction").GetDouble());
    }
}
