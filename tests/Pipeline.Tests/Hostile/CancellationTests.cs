using System.Diagnostics;
using System.Text;
using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Training;
using Xunit.Abstractions;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>
/// Ctrl+C (a real SIGINT to the real CLI process) while a trainer is fitting: the process ends within seconds with
/// the single "cancelled" error line and exit code 1, and writes nothing. Before, ML.NET trainers ignored it and
/// the run went on to the end (107-364 s for SDCA on the embedded data set).
/// </summary>
[Collection("Console")]
public sealed class HostileCancellationTests(ITestOutputHelper log) : IDisposable
{
    /// <summary>Far above the seconds a cancelled run takes under load, far below what an ignored Ctrl+C costs.</summary>
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(180);

    private readonly string _root = Directory.CreateTempSubdirectory("hostile-cancel-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>
    /// Label, the stage line to signal at, and the command line ({out} is replaced by an output path). The
    /// iteration cap is raised so that every trainer is still fitting when the signal comes. The CNN row needs 50 images a
    /// class: with 8, no leaf reaches LightGBM's 20-row minimum, and the fit ended within the 300 ms before the signal.
    /// </summary>
    public static TheoryData<string, string, string[]> Runs() => new()
    {
        { "train sdca", "training sdca", ["train", "--trainer", "sdca", "--max-iterations", "100000", "--out", "{out}/model.zip"] },
        { "train lbfgs", "training lbfgs", ["train", "--trainer", "lbfgs", "--max-iterations", "100000", "--out", "{out}/model.zip"] },
        { "train lightgbm", "training lightgbm", ["train", "--trainer", "lightgbm", "--max-iterations", "100000", "--out", "{out}/model.zip"] },
        { "train fasttree", "training fasttree", ["train", "--trainer", "fasttree", "--max-iterations", "100000", "--out", "{out}/model.zip"] },
        { "train cnn lightgbm", "training lightgbm", ["train", "--pipeline", "cnn", "--trainer", "lightgbm", "--max-train-per-class", "50", "--max-test-per-class", "2", "--no-cache", "--max-iterations", "100000", "--out", "{out}/model.zip"] },
        { "compare sdca", "training sdca", ["compare", "--data", "fashion-mnist-mini", "--pipelines", "handcrafted", "--trainers", "sdca,lbfgs", "--out", "{out}/report"] },
        { "bench", "training lbfgs", ["bench", "--pipelines", "handcrafted", "--out", "{out}/bench.json"] },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void Ctrl_C_while_fitting_stops_at_once_and_writes_nothing(string label, string stage, string[] template)
    {
        // A fit of under a second can end before the signal lands when the test host reads the child's output late (a
        // busy thread pool delays the line that triggers the signal): then the run says "{stage}: done" and tested
        // nothing, so it is run again, at most three times in all.
        for (var attempt = 1; ; attempt++)
        {
            var fitEndedFirst = SignalDuringFit(label, stage, template);
            if (!fitEndedFirst)
            {
                return;
            }

            Assert.True(attempt < 3, $"{label}: the fit ended before the signal in {attempt} runs");
            log.WriteLine($"{label}: the fit ended before the signal (attempt {attempt}); again");
            if (Directory.Exists(Path.Combine(_root, "out")))
            {
                Directory.Delete(Path.Combine(_root, "out"), recursive: true);
            }
        }
    }

    /// <summary>One run of <see cref="Ctrl_C_while_fitting_stops_at_once_and_writes_nothing"/>; true when the fit ended before the signal.</summary>
    private bool SignalDuringFit(string label, string stage, string[] template)
    {
        var outDir = Path.Combine(_root, "out");
        var args = template.Select(a => a.Replace("{out}", outDir, StringComparison.Ordinal)).ToArray();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var seen = new ManualResetEventSlim();
        using var process = ChildCli.Start(args, stdout, stderr, line =>
        {
            if (line.Contains(stage, StringComparison.Ordinal))
            {
                seen.Set();
            }
        });
        try
        {
            Assert.True(seen.Wait(StartLimit) || process.HasExited, $"{label}: '{stage}' not seen within {StartLimit.TotalSeconds:F0} s\n{Text(stderr)}");
            Thread.Sleep(300); // inside the fit, not at its first row
            Assert.False(process.HasExited, $"{label}: ended before the signal\n{Text(stderr)}");

            var sinceSignal = Stopwatch.StartNew();
            Interrupt(process.Id);
            var stopped = process.WaitForExit(StopLimit);
            var elapsed = sinceSignal.Elapsed;
            Assert.True(stopped, $"{label}: still running {StopLimit.TotalSeconds:F0} s after SIGINT\n{Text(stderr)}");
            process.WaitForExit(); // drains the output readers
            log.WriteLine($"{label}: SIGINT -> exit {elapsed.TotalSeconds:F2} s");

            var err = Text(stderr);
            var errors = err.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToArray();
            Assert.True(process.ExitCode == 1, $"{label}: exit {process.ExitCode}\n{err}");
            Assert.True(errors.Length == 1 && errors[0].Contains("cancelled", StringComparison.Ordinal), $"{label}: one 'cancelled' error line expected\n{err}");
            Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
            Assert.False(Directory.Exists(outDir) && Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).Any(), $"{label}: files were written: {string.Join(", ", Directory.Exists(outDir) ? Directory.GetFiles(outDir, "*", SearchOption.AllDirectories) : [])}");
            return err.Contains($"{stage}: done", StringComparison.Ordinal); // else the signal came during the fit
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>ML.NET keeps MLContext.CancelExecution internal; if an upgrade renames it, this says so.</summary>
    [Fact]
    public void MLContext_cancel_execution_is_found() => Assert.NotNull(CancellableFit.CancelExecution);

    /// <summary>In process, through the library: a cancelled token ends a fit with OperationCanceledException.</summary>
    [Fact]
    public void A_token_cancelled_during_a_fit_ends_it_with_OperationCanceledException()
    {
        var data = DatasetLoader.Load(EmbeddedDataset.Locate(), new DatasetOptions { MaxTrainPerClass = 30, MaxTestPerClass = 5 }, new DataWarnings());
        using var cancellation = new CancellationTokenSource();
        var progress = new Progress(p =>
        {
            if (p.Stage.StartsWith("training", StringComparison.Ordinal) && p.Done == 0)
            {
                cancellation.CancelAfter(200);
            }
        });
        var model = Path.Combine(_root, "lib.zip");

        // SDCA checks MLContext cancellation itself, so the fit's thread ends too (LightGBM's would run on here).
        var options = new TrainingOptions { Pipeline = PipelineRegistry.Default, Trainer = TrainerKind.Sdca, MaxIterations = 100_000 };
        var sinceStart = Stopwatch.StartNew();
        var run = Task.Run(() => ModelTrainer.TrainAndSave(data, options, model, new DataWarnings(), progress, cancellation.Token));
        Assert.True(((IAsyncResult)run).AsyncWaitHandle.WaitOne(StopLimit + TimeSpan.FromSeconds(30)), "the cancelled fit did not end");
        log.WriteLine($"cancelled after {sinceStart.Elapsed.TotalSeconds:F1} s");
        Assert.True(run.IsFaulted || run.IsCanceled, "the fit completed in spite of the cancelled token");
        Assert.IsAssignableFrom<OperationCanceledException>(Failures.Find(run.Exception!.GetBaseException()));
        Assert.False(File.Exists(model));
    }

    private static void Interrupt(int pid)
    {
        using var kill = Process.Start("kill", ["-s", "INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static string Text(StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }

    /// <summary>Synchronous progress (System.Progress posts to the pool, too late to cancel inside the fit).</summary>
    internal sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
