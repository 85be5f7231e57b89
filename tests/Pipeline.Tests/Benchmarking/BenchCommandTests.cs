using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Benchmarking;
using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Pipeline.Measuring;

namespace ImageWorkbench.Pipeline.Tests.Benchmarking;

/// <summary>One tiny hand-crafted <c>pipeline bench</c> run through the CLI, with <c>--readme</c>, shared by the tests.</summary>
public sealed class TinyBenchFixture : IDisposable
{
    public const string Readme = """
        # Title

        <!-- generated:results:begin -->
        results stay
        <!-- generated:results:end -->

        Between the blocks.

        <!-- generated:performance:begin -->
        (not generated yet)
        <!-- generated:performance:end -->

        The end.
        """;

    public TinyBenchFixture()
    {
        Folder = Directory.CreateTempSubdirectory("bench-").FullName;
        JsonPath = Path.Combine(Folder, "bench.json");
        ReadmePath = Path.Combine(Folder, "README.md");
        File.WriteAllText(ReadmePath, Readme);
        var output = new StringWriter();
        ExitCode = Program.Run(
            ["bench", "--pipelines", "handcrafted", "--max-train-per-class", "5", "--max-test-per-class", "2", "--out", JsonPath, "--readme", ReadmePath, "--section", "performance"],
            output,
            CancellationToken.None);
        Output = output.ToString();
    }

    public string Folder { get; }

    public string JsonPath { get; }

    public string ReadmePath { get; }

    public int ExitCode { get; }

    public string Output { get; }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

public sealed partial class BenchCommandTests(TinyBenchFixture bench) : IClassFixture<TinyBenchFixture>
{
    [Fact]
    public void Bench_json_has_every_documented_key_and_sane_figures()
    {
        Assert.True(bench.ExitCode == 0, bench.Output);
        Assert.Empty(Directory.GetFiles(bench.Folder, "*.tmp"));
        var root = JsonNode.Parse(File.ReadAllText(bench.JsonPath))!.AsObject();

        AssertKeys(BenchJson.TopLevelKeys, root);
        AssertKeys(BenchJson.MachineKeys, root["machine"]!.AsObject());
        AssertKeys(BenchJson.DatasetKeys, root["dataset"]!.AsObject());
        AssertKeys(BenchJson.SettingsKeys, root["settings"]!.AsObject());
        var results = root["results"]!.AsArray();
        var result = Assert.Single(results)!.AsObject();
        AssertKeys(BenchJson.ResultKeys, result);

        Assert.Equal(BenchJson.SchemaVersion, root["schemaVersion"]!.GetValue<int>());
        Assert.StartsWith("pipeline bench --pipelines handcrafted", root["command"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", root["createdUtc"]!.GetValue<string>());
        Assert.Equal(Environment.ProcessorCount, root["machine"]!["logicalCores"]!.GetValue<int>());
        Assert.True(root["machine"]!["memoryBytes"]!.GetValue<long>() > 0);
        Assert.Equal(50, root["dataset"]!["trainCount"]!.GetValue<int>());
        Assert.Equal(20, root["dataset"]!["testCount"]!.GetValue<int>());
        Assert.False(root["settings"]!["featureCache"]!.GetValue<bool>());

        Assert.Equal("handcrafted", result["pipeline"]!.GetValue<string>());
        Assert.Equal("grey28-v1", result["featureSet"]!.GetValue<string>());
        Assert.Equal(50, result["featurizeSamples"]!.GetValue<int>());
        Assert.Equal(20, result["predictSamples"]!.GetValue<int>());
        foreach (var key in new[]
        {
            "featurizeImagesPerSecondOneThread", "featurizeImagesPerSecondAllThreads", "decodeFeaturizeImagesPerSecondOneThread",
            "decodeFeaturizeImagesPerSecondAllThreads", "trainFeaturizeSeconds", "trainSeconds", "trainTotalSeconds", "modelLoadSeconds",
            "predictMillisecondsP50", "predictMillisecondsP95", "batchImagesPerSecond", "allocatedBytesPerPrediction",
        })
        {
            Assert.True(result[key]!.GetValue<double>() > 0, $"{key} = {result[key]}");
        }

        Assert.True(result["predictMillisecondsP95"]!.GetValue<double>() >= result["predictMillisecondsP50"]!.GetValue<double>());
        Assert.True(result["trainTotalSeconds"]!.GetValue<double>() >= result["trainSeconds"]!.GetValue<double>());
        Assert.True(result["modelBytes"]!.GetValue<long>() > 0);
        Assert.True(result["peakWorkingSetBytes"]!.GetValue<long>() > 0);
        Assert.True(result["featurizeThreads"]!.GetValue<int>() >= 1);
        Assert.InRange(result["testAccuracy"]!.GetValue<double>(), 0, 1);
    }

    [Fact]
    public void Every_preset_is_timed_and_grey28_v1_is_compared_with_opencv_or_says_why_not()
    {
        Assert.True(bench.ExitCode == 0, bench.Output);
        var root = JsonNode.Parse(File.ReadAllText(bench.JsonPath))!.AsObject();
        var sets = root["featureSets"]!.AsArray().Select(n => n!.AsObject()).ToList();
        Assert.Equal(FeatureSetPresets.Names, sets.Select(s => s["featureSet"]!.GetValue<string>()));
        foreach (var set in sets)
        {
            AssertKeys(BenchJson.FeatureSetKeys, set);
            Assert.Equal(FeatureSetPresets.Get(set["featureSet"]!.GetValue<string>()).OutputLength, set["featureLength"]!.GetValue<int>());
            Assert.True(set["imagesPerSecondOneThread"]!.GetValue<double>() > 0);
            Assert.True(set["imagesPerSecondAllThreads"]!.GetValue<double>() > 0);
        }

        var openCv = root["openCv"]!.AsObject();
        AssertKeys(BenchJson.OpenCvKeys, openCv);
        Assert.Equal(FeatureSetPresets.Grey28V1Length, openCv["featureLength"]!.GetValue<int>());
        Assert.True(openCv["imagesPerSecond"]!.GetValue<double>() > 0);
        var status = openCv["openCv"]!.GetValue<string>();
        if (status.StartsWith("opencv ", StringComparison.Ordinal))
        {
            Assert.True(openCv["speedupOverOpenCv"]!.GetValue<double>() > 0, status);
        }
        else
        {
            Assert.StartsWith("not measured: ", status, StringComparison.Ordinal);
            Assert.Null(openCv["openCvImagesPerSecond"]);
        }

        var block = File.ReadAllText(bench.ReadmePath);
        Assert.Contains("| rgb64-v3 | 64x64x3 | 3,073 |", block, StringComparison.Ordinal);
        Assert.Contains("| OpenCV `cv2.Sobel` + numpy, batched (" + status + ") |", block, StringComparison.Ordinal);
    }

    [Fact]
    public void The_key_documentation_lists_exactly_the_written_keys()
    {
        var doc = File.ReadAllText(FindDoc());
        var documented = KeyRow().Matches(doc).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var written = BenchJson.TopLevelKeys.Concat(BenchJson.MachineKeys).Concat(BenchJson.DatasetKeys).Concat(BenchJson.SettingsKeys).Concat(BenchJson.ResultKeys).Concat(BenchJson.BackboneKeys).Concat(BenchJson.ShardScalingKeys)
            .Concat(BenchJson.FeatureSetKeys).Concat(BenchJson.OpenCvKeys).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(written.Except(documented));
        Assert.Empty(documented.Except(written));
    }

    [Fact]
    public void Readme_option_replaces_only_the_named_block()
    {
        Assert.True(bench.ExitCode == 0, bench.Output);
        var text = File.ReadAllText(bench.ReadmePath);
        var begin = "<!-- generated:performance:begin -->";
        var end = "<!-- generated:performance:end -->";
        var block = text[(text.IndexOf(begin, StringComparison.Ordinal) + begin.Length)..text.IndexOf(end, StringComparison.Ordinal)];
        Assert.Contains("| handcrafted (grey28-v1, ", block, StringComparison.Ordinal);
        Assert.Contains("pipeline bench --pipelines handcrafted", block, StringComparison.Ordinal);
        Assert.DoesNotContain("(not generated yet)", text, StringComparison.Ordinal);

        // Everything outside the block is as it was.
        var original = TinyBenchFixture.Readme;
        var originalBlockStart = original.IndexOf(begin, StringComparison.Ordinal) + begin.Length;
        var originalBlockEnd = original.IndexOf(end, StringComparison.Ordinal);
        Assert.StartsWith(original[..originalBlockStart], text, StringComparison.Ordinal);
        Assert.EndsWith(original[originalBlockEnd..], text, StringComparison.Ordinal);
        Assert.Contains("<!-- generated:results:begin -->\nresults stay\n<!-- generated:results:end -->", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("updated the 'performance' section", bench.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_readme_block_or_a_cancelled_run_fails_early_and_writes_nothing()
    {
        var folder = Directory.CreateTempSubdirectory("bench-fail-").FullName;
        try
        {
            var json = Path.Combine(folder, "bench.json");
            var readme = Path.Combine(folder, "README.md");
            File.WriteAllText(readme, "# no generated block\n");
            string[] tiny = ["bench", "--pipelines", "handcrafted", "--max-train-per-class", "5", "--max-test-per-class", "2", "--out", json];
            Assert.Equal(1, Program.Run([.. tiny, "--readme", readme, "--section", "performance"], new StringWriter(), CancellationToken.None));
            Assert.Equal("# no generated block\n", File.ReadAllText(readme));

            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            Assert.Equal(1, Program.Run(tiny, new StringWriter(), cancelled.Token));
            Assert.Equal(["README.md"], Directory.GetFiles(folder).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Cpu_model_is_read_from_a_cpuinfo_file_and_null_without_one()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14 96-Core Processor\nflags\t: avx\n");
            Assert.Equal("AMD EPYC 9R14 96-Core Processor", MachineInfo.ReadCpuModel(file));
            File.WriteAllText(file, "processor\t: 0\nBogoMIPS\t: 50.00\n");
            Assert.Null(MachineInfo.ReadCpuModel(file));
            Assert.Null(MachineInfo.ReadCpuModel(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"))));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Images_per_second_counts_whole_passes_and_is_nan_without_items()
    {
        var calls = 0;
        var rate = Throughput.ImagesPerSecond(10, 2, () => _ => Interlocked.Increment(ref calls), 0, 0.01, CancellationToken.None);
        Assert.True(rate > 0);
        Assert.True(calls >= 10 + 6, $"{calls} calls"); // warm-up (3 per worker) + at least one pass
        Assert.True(double.IsNaN(Throughput.ImagesPerSecond(0, 1, () => _ => { }, 0, 0.01, CancellationToken.None)));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Throughput.ImagesPerSecond(10, 1, () => _ => { }, 0, 10, cancelled.Token));
    }

    [Fact]
    public void All_threads_claim_every_item_and_stop_on_cancellation()
    {
        var seen = new int[37];
        var rate = Throughput.ImagesPerSecond(seen.Length, 3, () => i => Interlocked.Increment(ref seen[i]), 0, 0.01, CancellationToken.None);
        Assert.True(rate > 0);
        Assert.All(seen, count => Assert.True(count >= 1, "an item was never run")); // at least one whole pass

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Assert.ThrowsAny<OperationCanceledException>(() => Throughput.ImagesPerSecond(10, 2, () => _ => Thread.Sleep(1), 0, 60, cancel.Token));
        Assert.Throws<InvalidOperationException>(() => Throughput.ImagesPerSecond(10, 2, () => i => _ = i == 7 ? throw new FormatException("bad item 7") : i, 0, 0.01, CancellationToken.None));
    }

    [Fact]
    public void Warm_up_without_a_minimum_time_makes_exactly_the_minimum_calls_and_with_one_stops_within_the_maximum()
    {
        var seen = new List<int>();
        Assert.Equal(5, WarmUp.Run(seen.Add, 5, TimeSpan.Zero, TimeSpan.Zero, CancellationToken.None));
        Assert.Equal([0, 1, 2, 3, 4], seen);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var calls = WarmUp.Run(_ => Thread.Sleep(1), 3, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), CancellationToken.None);
        Assert.True(calls >= 3);
        Assert.InRange(watch.Elapsed.TotalMilliseconds, 50, 5_000);
    }

    private static void AssertKeys(IReadOnlyList<string> expected, JsonObject actual)
    {
        Assert.Equal(expected.OrderBy(k => k, StringComparer.Ordinal), actual.Select(p => p.Key).OrderBy(k => k, StringComparer.Ordinal));
    }

    private static string FindDoc()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Pipeline", "Benchmarking", "README-bench-json.md");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("src/Pipeline/Benchmarking/README-bench-json.md not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A key row of the documentation tables: <c>| `key` | type | meaning |</c>.</summary>
    [GeneratedRegex(@"^\| `([A-Za-z0-9]+)` \|", RegexOptions.Multiline)]
    private static partial Regex KeyRow();
}
