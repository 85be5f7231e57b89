using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Data;
using Xunit.Abstractions;
using ImageWorkbench.Runtime.Models;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>The real CLI as a child process (<c>dotnet ImageWorkbench.Pipeline.Cli.dll ...</c>), killed with SIGKILL on cue.</summary>
internal static class ChildCli
{
    private static string Dll => Path.Combine(Cli.RepoRoot(), "src", "Pipeline.Cli", "bin", "Release", "net10.0", "ImageWorkbench.Pipeline.Cli.dll");

    internal static Process Start(string[] args, StringBuilder stdout, StringBuilder stderr, Action<string>? onErrLine = null)
    {
        // Through env --default-signal: a test run started as a background job of a script inherits SIGINT ignored
        // (POSIX shells do that to background jobs), the child would inherit it too and .NET keeps an ignored SIGINT
        // ignored, so the Ctrl+C tests would test nothing. The child gets SIGINT's default back, as a terminal has it.
        var info = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("--default-signal=INT");
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stdout)
                {
                    stdout.AppendLine(e.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }

                onErrLine?.Invoke(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs to the end (at most <paramref name="limit"/>); returns exit code and output.</summary>
    public static (int Code, string Out, string Err) Run(TimeSpan limit, params string[] args)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = Start(args, stdout, stderr);
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"pipeline {string.Join(' ', args)} did not finish within {limit.TotalSeconds:F0} s\n{stderr}");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// Starts the CLI, waits until a stderr line contains <paramref name="marker"/>, waits <paramref name="delay"/> more,
    /// then SIGKILLs it. Returns whether it was killed (false: it ended first) and its stderr.
    /// </summary>
    public static (bool Killed, string Err) KillAfter(string marker, TimeSpan delay, TimeSpan limit, params string[] args)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var seen = new ManualResetEventSlim();
        using var process = Start(args, stdout, stderr, line =>
        {
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                seen.Set();
            }
        });
        var deadline = Stopwatch.StartNew();
        while (!seen.IsSet && !process.HasExited && deadline.Elapsed < limit)
        {
            seen.Wait(TimeSpan.FromMilliseconds(50));
        }

        Assert.True(seen.IsSet || process.HasExited, $"'{marker}' not seen within {limit.TotalSeconds:F0} s\n{stderr}");
        Thread.Sleep(delay);
        var killed = false;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            killed = true;
        }

        process.WaitForExit();
        lock (stderr)
        {
            return (killed, stderr.ToString());
        }
    }
}

/// <summary>SIGKILL in the middle of train, compare and a feature-cache write; then the next run must succeed.</summary>
[Collection("Console")]
public sealed class HostileKillTests(ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);
    private readonly string _root = Directory.CreateTempSubdirectory("hostile-kill-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Whatever is left in <paramref name="folder"/> is either a hidden temp file or complete.</summary>
    private static void AssertNothingHalfWritten(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (var file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                continue; // AtomicFile's temp: unique name (pid + guid), never read
            }

            if (name.EndsWith(".zip", StringComparison.Ordinal))
            {
                ModelPackage.ReadMetadata(file);
                using var classifier = ImageClassifier.Load(file);
            }
            else if (name.EndsWith(".json", StringComparison.Ordinal))
            {
                JsonNode.Parse(File.ReadAllText(file));
            }
        }
    }

    [Fact]
    public void Killed_train_leaves_no_half_model_and_the_next_run_succeeds()
    {
        var outDir = Path.Combine(_root, "train");
        var model = Path.Combine(outDir, "model.zip");
        string[] args = ["train", "--pipeline", "handcrafted", "--max-train-per-class", "60", "--max-test-per-class", "20", "--out", model];
        var (killed, err) = ChildCli.KillAfter("featurizing", TimeSpan.FromMilliseconds(300), Limit, args);
        log.WriteLine($"killed: {killed}; model present after kill: {File.Exists(model)}\n{err}");
        AssertNothingHalfWritten(outDir);

        // what a kill inside the final write would leave: a half temp file beside the output; the next run must not trip on it
        Directory.CreateDirectory(outDir);
        var halfTemp = Path.Combine(outDir, ".model.zip.99999.0123456789abcdef0123456789abcdef.tmp");
        File.WriteAllBytes(halfTemp, File.Exists(model) ? File.ReadAllBytes(model)[..100] : [0x50, 0x4B, 0x03, 0x04]);

        var (code, _, err2) = ChildCli.Run(Limit, args);
        Assert.True(code == 0, err2);
        Assert.Equal(600, ModelPackage.ReadMetadata(model).Training.TrainCount); // 60 per class x 10
        AssertNothingHalfWritten(outDir);
    }

    [Fact]
    public void Killed_compare_leaves_no_half_report_and_the_next_run_succeeds()
    {
        var outDir = Path.Combine(_root, "compare");
        string[] args = ["compare", "--data", "fashion-mnist-mini", "--pipelines", "handcrafted", "--max-train-per-class", "30", "--max-test-per-class", "10", "--out", outDir];
        var (killed, err) = ChildCli.KillAfter("timing handcrafted predictions", TimeSpan.FromMilliseconds(200), Limit, args);
        log.WriteLine($"killed: {killed}; files after kill: {string.Join(", ", Directory.Exists(outDir) ? Directory.GetFiles(outDir, "*", SearchOption.AllDirectories).Select(Path.GetFileName) : [])}\n{err}");
        AssertNothingHalfWritten(outDir);

        var (code, _, err2) = ChildCli.Run(Limit, args);
        Assert.True(code == 0, err2);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!;
        Assert.Equal(100, report["results"]![0]!["count"]!.GetValue<int>());
        AssertNothingHalfWritten(outDir);
    }

    [Fact]
    public void Killed_cnn_featurization_leaves_a_usable_cache_and_the_next_run_succeeds()
    {
        var cacheDir = Path.Combine(_root, "cache");
        var model = Path.Combine(_root, "cnn", "cnn.zip");
        string[] args = ["train", "--pipeline", "cnn", "--max-train-per-class", "3", "--max-test-per-class", "2", "--cache-dir", cacheDir, "--out", model];
        var (killed, err) = ChildCli.KillAfter("featurizing", TimeSpan.FromMilliseconds(500), Limit, args);
        var entriesAfterKill = Directory.Exists(cacheDir) ? Directory.GetFiles(cacheDir, "*.f32", SearchOption.AllDirectories).Length : 0;
        log.WriteLine($"killed: {killed}; cache entries after kill: {entriesAfterKill}; model present: {File.Exists(model)}\n{err}");
        AssertNothingHalfWritten(Path.Combine(_root, "cnn"));

        // every entry on disk is whole (16-byte header + 512 floats)
        Assert.All(Directory.Exists(cacheDir) ? Directory.GetFiles(cacheDir, "*.f32", SearchOption.AllDirectories) : [], f => Assert.Equal(16 + (512 * 4), new FileInfo(f).Length));

        var (code, _, err2) = ChildCli.Run(Limit, args);
        Assert.True(code == 0, err2);
        Assert.Equal("cnn", ModelPackage.ReadMetadata(model).PipelineKind);
        var info = ChildCli.Run(Limit, "cache", "info", "--cache-dir", cacheDir);
        Assert.True(info.Code == 0, info.Err);
        log.WriteLine(info.Out);
        Assert.Equal(50, new FeatureCache(cacheDir).Stats.Entries); // 30 train + 20 test images

        // the CNN package where it does not fit: a two-class data set it was not trained on
        var data = Path.Combine(_root, "ab");
        foreach (var (cls, name) in new[] { (0, "a"), (1, "b") })
        {
            var dir = Directory.CreateDirectory(Path.Combine(data, name)).FullName;
            for (var i = 0; i < 3; i++)
            {
                File.WriteAllBytes(Path.Combine(dir, $"{i}.png"), HostileFiles.Picture(32, 32, cls, i));
            }
        }

        Cli.Run("evaluate", "--model", model, "--data", data).AssertOneErrorNaming(model);
        var outDir = Path.Combine(_root, "cmp");
        Cli.Run("compare", "--models", model, "--data", data, "--out", outDir).AssertOneErrorNaming(model);
        Assert.False(File.Exists(Path.Combine(outDir, "report.json")));
    }
}

/// <summary>Same seed, same metrics; another seed, another split.</summary>
[Collection("Console")]
public sealed class HostileReproducibilityTests : IDisposable
{
    /// <summary>Keys that are timings, paths, clocks, memory or other costs: allowed to differ between runs.</summary>
    private static readonly HashSet<string> Volatile =
    [
        "createdUtc", "command", "machine", "location", "modelPath", "featurizeImagesPerSecond", "trainSeconds",
        "predictMillisecondsP50", "predictMillisecondsP95", "batchImagesPerSecond", "modelBytes", "peakWorkingSetBytes", "runSeconds",
        "sentence", // tradeOff.sentence quotes the measured latency
    ];

    private readonly string _root = Directory.CreateTempSubdirectory("hostile-repro-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private JsonNode Compare(string name, string seed)
    {
        var outDir = Path.Combine(_root, name);
        var result = Cli.Run(TimeSpan.FromSeconds(180), "compare", "--data", "fashion-mnist-mini", "--pipelines", "handcrafted", "--max-train-per-class", "30", "--max-test-per-class", "10", "--seed", seed, "--out", outDir);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!;
    }

    private static void AssertSame(JsonNode? a, JsonNode? b, string path, List<string> differences)
    {
        switch (a)
        {
            case JsonObject oa when b is JsonObject ob:
                foreach (var key in oa.Select(p => p.Key).Union(ob.Select(p => p.Key)))
                {
                    if (Volatile.Contains(key))
                    {
                        continue;
                    }

                    AssertSame(oa[key], ob[key], $"{path}.{key}", differences);
                }

                break;
            case JsonArray aa when b is JsonArray ab:
                if (aa.Count != ab.Count)
                {
                    differences.Add($"{path}: {aa.Count} vs {ab.Count} items");
                    break;
                }

                for (var i = 0; i < aa.Count; i++)
                {
                    AssertSame(aa[i], ab[i], $"{path}[{i}]", differences);
                }

                break;
            default:
                if (a?.ToJsonString() != b?.ToJsonString())
                {
                    differences.Add($"{path}: {a?.ToJsonString()} vs {b?.ToJsonString()}");
                }

                break;
        }
    }

    [Fact]
    public void Same_seed_gives_the_same_metrics_and_another_seed_another_split()
    {
        var first = Compare("a", "42");
        var second = Compare("b", "42");
        var differences = new List<string>();
        AssertSame(first, second, "$", differences);
        Assert.True(differences.Count == 0, string.Join('\n', differences));

        var other = Compare("c", "7");
        Assert.Equal(7, other["seed"]!.GetValue<int>());
        Assert.NotEqual(first["results"]![0]!["confusionMatrix"]!.ToJsonString(), other["results"]![0]!["confusionMatrix"]!.ToJsonString());

        // the image sets themselves: the CLI loads through DatasetLoader with these options
        static HashSet<string> Names(IEnumerable<LabeledImage> images) => [.. images.Select(i => i.Source.Name)];
        var seed42 = DatasetLoader.Load(EmbeddedDataset.Locate(), new DatasetOptions { Seed = 42, MaxTrainPerClass = 30, MaxTestPerClass = 10 }, new DataWarnings());
        var seed7 = DatasetLoader.Load(EmbeddedDataset.Locate(), new DatasetOptions { Seed = 7, MaxTrainPerClass = 30, MaxTestPerClass = 10 }, new DataWarnings());
        Assert.False(Names(seed42.Train).SetEquals(Names(seed7.Train)));
        Assert.False(Names(seed42.Test).SetEquals(Names(seed7.Test)));
        Assert.Equal(300, seed7.Train.Count);
        Assert.Equal(100, seed7.Test.Count);
    }
}
