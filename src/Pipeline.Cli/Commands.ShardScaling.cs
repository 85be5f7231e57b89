using System.Diagnostics;
using System.Globalization;
using ImageWorkbench.Pipeline.Benchmarking;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary><c>bench</c>'s shard-scaling rows: <c>featurize --shard i/N</c> as N separate processes of this program at once.</summary>
internal static partial class Commands
{
    /// <summary>Process counts measured on this machine; more are extrapolated on paper (shards share nothing).</summary>
    private static readonly int[] ShardProcessCounts = [1, 2];

    /// <summary>
    /// For N in <see cref="ShardProcessCounts"/>: starts N <c>featurize --pipeline cnn --shard i/N --no-cache</c> processes at
    /// once over the bench's data (its data options forwarded) into a fresh temp folder, and times them from the first
    /// start to the last exit (process start, model load and the Parquet write included, as a scheduler would see it).
    /// </summary>
    private static List<ShardScalingRow> MeasureShardScaling(CommandLine line, int images, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var dataArgs = ForwardedArgs(line, Opt.DataOptions);
        var rows = new List<ShardScalingRow>();
        foreach (var processes in ShardProcessCounts)
        {
            var folder = Directory.CreateTempSubdirectory("image-workbench-shards-");
            try
            {
                progress?.Report(new TrainingProgress($"shard scaling: {processes} featurize process(es)", 0, processes, 0));
                var stopwatch = Stopwatch.StartNew();
                var children = Enumerable.Range(0, processes)
                    .Select(i => StartSelf(["featurize", "--pipeline", PipelineRegistry.FrozenCnn.Name, "--no-cache", .. dataArgs, "--shard", string.Create(CultureInfo.InvariantCulture, $"{i}/{processes}"), "--out", folder.FullName]))
                    .ToList();
                var failures = new List<string>();
                foreach (var child in children)
                {
                    using (child)
                    using (cancellationToken.Register(() => KillQuietly(child)))
                    {
                        var stderr = child.StandardError.ReadToEnd();
                        child.StandardOutput.ReadToEnd();
                        child.WaitForExit();
                        if (child.ExitCode != 0)
                        {
                            failures.Add(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? $"exit {child.ExitCode}");
                        }
                    }
                }

                cancellationToken.ThrowIfCancellationRequested();
                var seconds = stopwatch.Elapsed.TotalSeconds;
                if (failures.Count > 0)
                {
                    throw new WorkbenchException($"shard scaling: a featurize process failed: {failures[0]}");
                }

                rows.Add(new ShardScalingRow(processes, images, seconds, images / seconds, rows.Count == 0 ? 1 : rows[0].WallSeconds / seconds));
            }
            finally
            {
                try
                {
                    folder.Delete(recursive: true);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // a temp folder left behind is harmless
                }
            }
        }

        return rows;
    }

    /// <summary>The raw <c>--name value</c> / <c>--name=value</c> tokens of <paramref name="options"/> as given on <paramref name="line"/>.</summary>
    private static List<string> ForwardedArgs(CommandLine line, IReadOnlyList<CliOption> options)
    {
        var flags = options.Select(o => o.Flag).ToHashSet(StringComparer.Ordinal);
        var forwarded = new List<string>();
        for (var i = 0; i < line.Args.Count; i++)
        {
            var arg = line.Args[i];
            var flag = arg.Split('=', 2)[0];
            if (!flags.Contains(flag))
            {
                continue;
            }

            forwarded.Add(arg);
            if (!arg.Contains('=', StringComparison.Ordinal) && i + 1 < line.Args.Count)
            {
                forwarded.Add(line.Args[++i]);
            }
        }

        return forwarded;
    }

    /// <summary>Starts this program again (the apphost, or <c>dotnet</c> with this assembly) with <paramref name="args"/>.</summary>
    private static Process StartSelf(IEnumerable<string> args)
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info.ArgumentList.Add(typeof(Commands).Assembly.Location);
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new WorkbenchException($"shard scaling: cannot start {host}");
    }

    private static void KillQuietly(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }
}
