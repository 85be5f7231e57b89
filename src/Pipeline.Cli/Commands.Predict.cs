using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Predicting;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Files;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary><c>predict</c>: files, folders, globs and manifests in; lines on stdout, or rows streamed into a CSV / JSON Lines file.</summary>
internal static partial class Commands
{
    private const string PredictDescription =
        "Label and scores per image. IMAGE is a file, a folder (every image below it), a glob ('photos/**/*.jpg') or a .txt/.lst manifest of paths. "
        + "With --out, one row per image is streamed into a .csv or .jsonl file using every core; an unreadable image is an error line or row "
        + "and the others are still predicted; predict exits 1 when their share is above --max-bad-fraction.";

    private static CliOption[] PredictOptions => [Opt.Model, Opt.Top, Opt.PredictJson, Opt.PredictOut, Opt.TopK, Opt.MinConfidence, Opt.PredictMaxBadFraction];

    private static int Predict(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        var modelPath = line.Require(Opt.Model);
        if (line.Positionals.Count == 0)
        {
            throw new UsageException("predict needs at least one image, folder, glob or manifest");
        }

        var outPath = line.Get(Opt.PredictOut);
        if (outPath is not null)
        {
            line.Refuse([Opt.Top, Opt.PredictJson], "prints to stdout and does not apply with --out (use --top-k for score columns)");
            if (Path.GetExtension(outPath).ToLowerInvariant() is not (".csv" or ".jsonl" or ".ndjson"))
            {
                throw new UsageException($"--out must name a .csv or .jsonl file, got '{outPath}'");
            }

            OutputTarget.CheckFileWritable(outPath);
            OutputTarget.CheckNotInside(outPath, modelPath, "model");
        }
        else
        {
            line.Refuse([Opt.TopK], "sets columns of the --out file, which is not given");
        }

        ImageInputs.Check(line.Positionals);
        var options = new PredictionRowOptions(line.Get(Opt.TopK), line.Given(Opt.MinConfidence) ? line.Get(Opt.MinConfidence) : null);
        var maxBad = line.Get(Opt.PredictMaxBadFraction);
        // --out counts the images first (paths only, nothing kept) for the bar's total and the time left. The count runs
        // beside the model load, which keeps one core busy: on 2 cores it costs no time (27 ms of 10,000 files).
        var counting = outPath is null ? null : Task.Run(() => ImageInputs.Expand(line.Positionals).LongCount(), cancellationToken);
        using var classifier = ImageClassifier.Load(modelPath);
        var summary = counting is null
            ? PredictToStdout(classifier, line, options, output, cancellationToken)
            : PredictToFile(classifier, line.Positionals, counting, outPath!, options, output, cancellationToken);

        if (summary.Failed > 0 && summary.FailedFraction > maxBad)
        {
            if (outPath is not null)
            {
                Failures.Print($"error: {summary.Failed:N0} of {summary.Images:N0} images could not be predicted ({summary.FailedFraction:P1}, more than --max-bad-fraction {maxBad.ToString(CultureInfo.InvariantCulture)}); their rows in {outPath} say why");
            }

            return ExitCodes.Failure;
        }

        return ExitCodes.Ok;
    }

    private static BatchPredictionSummary PredictToFile(ImageClassifier classifier, IReadOnlyList<string> inputs, Task<long> counting, string outPath, PredictionRowOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var console = new ConsoleProgress(quietFor: TimeSpan.FromSeconds(2));
        console.Report(new TrainingProgress("finding images", 0, 1, 0));
        var total = counting.GetAwaiter().GetResult();
        console.EndLine();
        var progress = new BatchConsoleProgress(total);
        var summary = PredictionRows.Write(classifier, ImageInputs.Expand(inputs), outPath, options, progress, cancellationToken);
        progress.End();
        output.WriteLine($"wrote {TerminalText.Escape(Path.GetFullPath(outPath))}: {summary.Images:N0} images in {summary.Seconds:F1} s ({summary.ImagesPerSecond:N0} images/s)");
        if (summary.Failed > 0)
        {
            output.WriteLine($"  {summary.Failed:N0} could not be predicted ({summary.FailedFraction:P1}): see the 'error' column");
        }

        if (summary.OutOfDistribution > 0)
        {
            output.WriteLine($"  {summary.OutOfDistribution:N0} look unlike the model's training images: see the 'out_of_distribution' column");
        }

        if (options.MinConfidence is { } floor)
        {
            output.WriteLine($"  {summary.Unknown:N0} answered '{PredictionRows.Unknown}' (best score below {floor.ToString(CultureInfo.InvariantCulture)})");
        }

        return summary;
    }

    /// <summary>The old output, now streamed in order: a line per image, or (with --json) one JSON array written as it grows.</summary>
    private static BatchPredictionSummary PredictToStdout(ImageClassifier classifier, CommandLine line, PredictionRowOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var top = line.Get(Opt.Top);
        var json = line.Has(Opt.PredictJson);
        var indented = new JsonSerializerOptions { WriteIndented = true };
        var clock = Stopwatch.StartNew();
        long images = 0, failed = 0, ood = 0, unknown = 0;
        if (json)
        {
            output.Write('[');
        }

        foreach (var result in classifier.PredictMany(ImageInputs.Expand(line.Positionals), cancellationToken: cancellationToken))
        {
            JsonObject item;
            if (result.Prediction is { } p)
            {
                var label = PredictionRows.LabelOf(p, options);
                unknown += label == PredictionRows.Unknown && p.Label != PredictionRows.Unknown ? 1 : 0;
                ood += p.OutOfDistribution is null ? 0 : 1;
                item = new JsonObject
                {
                    ["image"] = result.Name,
                    ["label"] = label,
                    ["confidence"] = p.Confidence,
                    ["scores"] = new JsonArray(p.Scores.Take(top).Select(s => (JsonNode?)new JsonObject { ["label"] = s.Key, ["score"] = s.Value }).ToArray()),
                };
                if (p.OutOfDistribution is { } why)
                {
                    item["outOfDistribution"] = why;
                }

                if (!json)
                {
                    // stdout is a terminal too: a newline in a name would forge a line, an escape sequence would run
                    var scores = string.Join("  ", p.Scores.Take(top).Select(s => $"{TerminalText.Escape(s.Key)} {s.Value:F3}"));
                    var flag = p.OutOfDistribution is { } reason ? $"   [out of distribution: {TerminalText.Escape(reason)}]" : string.Empty;
                    output.WriteLine($"{TerminalText.Escape(result.Name)}: {TerminalText.Escape(label)} ({p.Confidence:F3})   {scores}{flag}");
                }
            }
            else
            {
                failed++;
                Failures.Print($"error: {result.Name}: {result.Error}");
                item = new JsonObject { ["image"] = result.Name, ["error"] = $"{result.Name}: {result.Error}" };
            }

            if (json)
            {
                output.Write(images == 0 ? "\n  " : ",\n  ");
                output.Write(item.ToJsonString(indented).Replace("\n", "\n  ", StringComparison.Ordinal));
            }

            images++;
        }

        if (json)
        {
            output.WriteLine(images == 0 ? "]" : "\n]");
        }

        return new BatchPredictionSummary(images, failed, ood, unknown, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Batch progress on the console's bar: images done of the counted total, with the rate and time left.</summary>
    private sealed class BatchConsoleProgress(long total) : IProgress<BatchProgress>
    {
        private readonly ConsoleProgress _console = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public void Report(BatchProgress value) =>
            _console.Report(new TrainingProgress("predicting", value.Done, Math.Max(total, value.Done), value.Done / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9)));

        public void End() => _console.EndLine();
    }
}
