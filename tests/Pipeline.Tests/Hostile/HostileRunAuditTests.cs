using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>
/// Cases found by the audit of issue 11's fixes (item 10, what a CNN run leaves behind): ONNX Runtime 1.29+ starts
/// its own telemetry uploader on Linux, which left <c>$TMPDIR/.ses</c> after every run that loaded a network and wrote
/// a device id and an event database under <c>~/.cache/Microsoft/DeveloperTools</c>.
/// </summary>
[Collection("Console")]
public sealed class HostileRunAuditTests(TinyModelFixture tiny, Xunit.Abstractions.ITestOutputHelper log) : IClassFixture<TinyModelFixture>, IDisposable
{
    /// <summary>ONNX Runtime collects nothing when one of these is set, so the child must not inherit them from a CI runner.</summary>
    private static readonly string[] CiMarkers =
    [
        "CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "TRAVIS", "JENKINS_URL", "CODEBUILD_BUILD_ID", "BUILDKITE",
        "TEAMCITY_VERSION", "APPVEYOR", "BITBUCKET_BUILD_NUMBER", "ORT_RUNNING_UNIT_TESTS", "ORT_DISABLE_TELEMETRY", "XDG_CACHE_HOME",
    ];

    private readonly string _root = Directory.CreateTempSubdirectory("hostile-audit-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Loading_an_onnx_network_writes_nothing_to_the_temp_folder_or_home()
    {
        var package = TinyOnnxPackage.Save(Path.Combine(_root, "onnx.zip"));
        var temp = Directory.CreateDirectory(Path.Combine(_root, "tmp")).FullName;
        var home = Directory.CreateDirectory(Path.Combine(_root, "home")).FullName;

        // the tiny network takes 3 values, not an image: predict fails after the load, which is what starts ONNX Runtime
        var (code, err) = Run(temp, home, "predict", "--model", package, tiny.Image);
        Assert.True(code is 0 or 1, err);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);

        // .NET's own diagnostics pipes are removed at exit; anything still here was left by the run
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp, "*", SearchOption.AllDirectories));
        Assert.False(Directory.Exists(Path.Combine(home, ".cache", "Microsoft")), "ONNX Runtime wrote its telemetry store under the home folder");
    }

    [Fact]
    public void Predict_prints_names_with_a_newline_or_an_escape_sequence_escaped_on_stdout_and_whole_in_json()
    {
        var forged = Path.Combine(_root, "a\nerror: forged.png");
        var title = Path.Combine(_root, "b\u001b]0;title\u0007.png");
        File.Copy(tiny.Image, forged);
        File.Copy(tiny.Image, title);

        var text = Cli.Run("predict", "--model", tiny.ModelPath, forged, title);
        Assert.True(text.ExitCode == 0, text.Err);
        var lines = text.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length); // one line per image: the newline did not start a line of its own
        Assert.DoesNotContain(lines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', text.Out);
        Assert.DoesNotContain('\u0007', text.Out);
        Assert.StartsWith(TerminalText.Escape(forged) + ": ", lines[0], StringComparison.Ordinal);

        var json = Cli.Run("predict", "--json", "--model", tiny.ModelPath, forged, title);
        Assert.True(json.ExitCode == 0, json.Err);
        var images = System.Text.Json.Nodes.JsonNode.Parse(json.Out)!.AsArray().Select(n => n!["image"]!.GetValue<string>()).ToArray();
        Assert.Equal([forged, title], images); // JSON escapes by itself and gives the name back exactly
    }

    /// <summary>
    /// Ctrl+C during <c>evaluate</c> of a CNN package took 15 s to end: ML.NET's worker cursors finish every batch in
    /// flight before the scoring cursor lets go. Here a row never finishes until the test says so; the cancelled
    /// collection must return while it is still stuck.
    /// </summary>
    [Fact]
    public async Task Scoring_returns_on_cancellation_while_a_row_is_still_being_scored()
    {
        var ml = new MLContext(1);
        using var gate = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var rows = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 4).Select(i => new StuckInput { Label = 1 + (uint)(i % 2), X = i }));
        var scored = ml.Transforms.CustomMapping<StuckInput, StuckScore>((input, output) =>
        {
            entered.Set();
            gate.Wait(TimeSpan.FromSeconds(60)); // an ONNX batch that takes its time
            output.Score = [input.X, 1 - input.X];
        }, contractName: null).Fit(rows).Transform(rows);

        using var cancel = new CancellationTokenSource();
        var collect = Task.Run(() => ModelScoring.Collect(scored, cancel.Token));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)), "the row was never scored");
        cancel.Cancel();
        try
        {
            var ended = await Task.WhenAny(collect, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.True(ended == collect && !gate.IsSet, "scoring waited for the stuck row");
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => collect);
        }
        finally
        {
            gate.Set(); // lets the abandoned reader finish
        }
    }

    /// <summary>
    /// Evaluating a CNN package showed "51 % 256/500 ... 00:00 left" for 40 s: progress counted the rows ML.NET had
    /// decoded, far ahead of the rows scored. Progress now comes from the scored rows.
    /// </summary>
    [Fact]
    public async Task Scoring_progress_counts_rows_scored_not_rows_decoded_ahead()
    {
        var ml = new MLContext(1);
        using var gate = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var rows = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 64).Select(i => new StuckInput { Label = 1, X = i }));
        var scored = ml.Transforms.CustomMapping<StuckInput, StuckScore>((input, output) =>
        {
            entered.Set();
            gate.Wait(TimeSpan.FromSeconds(60));
            output.Score = [input.X, 1 - input.X];
        }, contractName: null).Fit(rows).Transform(rows);

        var reported = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var collect = Task.Run(() => ModelScoring.Collect(scored, CancellationToken.None, reported.Enqueue));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)), "the row was never scored");
        await Task.Delay(200); // time for a decoder running ahead to report
        Assert.Empty(reported); // nothing is scored while the first row is stuck
        gate.Set();
        var (labels, _, _) = await collect;
        Assert.Equal(Enumerable.Range(1, 64), reported);
        Assert.Equal(64, labels.Count);
    }

    public sealed class StuckInput
    {
        [KeyType(2)]
        public uint Label { get; set; }

        public float X { get; set; }
    }

    public sealed class StuckScore
    {
        [VectorType(2)]
        public float[] Score { get; set; } = [];
    }

    /// <summary>
    /// SIGTERM (kill, docker stop) ended the process on the spot (exit 143), leaving the staged report folder inside
    /// the user's output folder and the network's temp folder behind. It is now the same request as Ctrl+C.
    /// </summary>
    [Fact]
    public void Sigterm_during_compare_stops_like_ctrl_c_and_leaves_nothing()
    {
        var outDir = Path.Combine(_root, "report");
        var stdout = new System.Text.StringBuilder();
        var stderr = new System.Text.StringBuilder();
        using var training = new ManualResetEventSlim();
        using var process = ChildCli.Start(["compare", "--data", "fashion-mnist-mini", "--pipelines", "handcrafted", "--trainers", "sdca", "--out", outDir], stdout, stderr, line =>
        {
            if (line.Contains("training sdca", StringComparison.Ordinal))
            {
                training.Set();
            }
        });
        try
        {
            Assert.True(training.Wait(TimeSpan.FromSeconds(180)) && !process.HasExited, Text(stderr));
            using (var kill = Process.Start("kill", ["-s", "TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                kill.WaitForExit();
            }

            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "still running 30 s after SIGTERM\n" + Text(stderr));
            process.WaitForExit(); // drains the output readers
            var err = Text(stderr);
            Assert.True(process.ExitCode == 1, $"exit {process.ExitCode}\n{err}");
            Assert.Single(err.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal) && l.Contains("cancelled", StringComparison.Ordinal));
            Assert.False(Directory.Exists(outDir), "left: " + string.Join(", ", Directory.Exists(outDir) ? Directory.GetFileSystemEntries(outDir) : []));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>
    /// <c>train --pipeline cnn</c> with a full <c>$TMPDIR</c> printed a bare "No space left on device" naming a
    /// random file: ML.NET's ONNX transformer wrote the network out when the estimator was made. The CNN transform now
    /// runs ONNX Runtime on the packaged network without a temp copy, so a full temp folder no longer matters.
    /// Needs a small tmpfs, so it runs where the test may mount one (root on Linux, as in CI) and says so otherwise.
    /// </summary>
    [Fact]
    public void Training_a_cnn_with_a_full_temp_folder_works_as_the_network_needs_no_temp_copy()
    {
        var full = Directory.CreateDirectory(Path.Combine(_root, "full")).FullName;
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || Tool("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", full) != 0)
        {
            log.WriteLine("skipped: cannot mount a small tmpfs here");
            return;
        }

        try
        {
            var home = Directory.CreateDirectory(Path.Combine(_root, "home")).FullName;
            var (code, err) = Run(full, home, "train", "--pipeline", "cnn", "--no-cache", "--max-train-per-class", "2", "--max-test-per-class", "1", "--out", Path.Combine(_root, "m.zip"));
            Assert.True(code == 0 && !err.Contains("error:", StringComparison.Ordinal), err);
            Assert.True(File.Exists(Path.Combine(_root, "m.zip")));
        }
        finally
        {
            Assert.Equal(0, Tool("umount", full));
        }
    }

    /// <summary>
    /// A killed <c>train</c> left its temp model (59 MB for a CNN) beside the target for good; the next write of the
    /// same target deletes the temp files of ended processes, and only those.
    /// </summary>
    [Fact]
    public void Temp_files_a_killed_run_left_beside_the_output_go_with_the_next_write()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, "models")).FullName;
        var target = Path.Combine(folder, "m.zip");
        var dead = Path.Combine(folder, $".m.zip.2147483646.{Guid.NewGuid():N}.tmp"); // above any pid_max: never running
        var live = Path.Combine(folder, $".m.zip.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp"); // this process: a write in progress
        var other = Path.Combine(folder, ".m.zip.notes.tmp");
        var otherTarget = Path.Combine(folder, $".n.zip.2147483646.{Guid.NewGuid():N}.tmp");
        foreach (var file in new[] { dead, live, other, otherTarget })
        {
            File.WriteAllText(file, "x");
        }

        AtomicFile.WriteAllText(target, "model");

        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live) && File.Exists(other) && File.Exists(otherTarget));
        Assert.Equal("model", File.ReadAllText(target));
    }

    private static int Tool(string name, params string[] args)
    {
        try
        {
            using var tool = Process.Start(new ProcessStartInfo(name, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            tool.WaitForExit();
            return tool.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1; // no such tool
        }
    }

    private static string Text(System.Text.StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }

    private static (int Code, string Err) Run(string temp, string home, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(Cli.RepoRoot(), "src", "Pipeline.Cli", "bin", "Release", "net10.0", "ImageWorkbench.Pipeline.Cli.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["TMPDIR"] = temp;
        info.Environment["HOME"] = home;
        foreach (var marker in CiMarkers)
        {
            info.Environment.Remove(marker);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"pipeline {string.Join(' ', args)} did not finish within 60 s");
        }

        _ = output.Result;
        return (process.ExitCode, error.Result);
    }
}
