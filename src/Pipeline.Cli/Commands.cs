using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Benchmarking;
using Pipeline.Cnn;
using Pipeline.Comparison;
using Pipeline.Data;
using Pipeline.Reports;
using Pipeline.Evaluation;
using Pipeline.Models;
using Pipeline.Training;

namespace Pipeline.Cli;

/// <summary>The commands. Each parses its options and calls src/Pipeline; none holds ML logic.</summary>
internal static class Commands
{
    public const string Help = """
        pipeline: image classification workbench: hand-crafted Sobel/HOG features vs a frozen ResNet18, on ML.NET

        usage: pipeline <command> [options]   (--verbose on any command prints stack traces)

        commands:
          train      --pipeline handcrafted|cnn [--data PATH] [--out model.zip] [--trainer sdca|lbfgs|lightgbm|fasttree]
                     [--feature-set NAME] [--seed N] [--test-fraction F] [--max-train-per-class N] [--max-test-per-class N]
                     [--max-bad-fraction F] [--no-eval]
                     cnn only: [--input-size 224|192|160|128|96] [--resize stretch|pad|center-crop] [--no-cache] [--cache-dir DIR]
          compare    [--data PATH] [--pipelines handcrafted,cnn] [--trainers lbfgs,sdca,...] --out DIR [--seed N]
                     [--max-train-per-class N] [--max-test-per-class N] [--readme README.md [--section NAME]]
          compare    --models a.zip,b.zip [--data PATH] --out DIR
          bench      [--data PATH] [--pipelines handcrafted,cnn] --out bench.json [--max-train-per-class N] [--max-test-per-class N]
                     [--readme README.md [--section NAME]]   (speed, memory, model size on this machine; CNN cache off)
          evaluate   --model model.zip [--data PATH] [--json FILE] [--max-test-per-class N]
          predict    --model model.zip [--json] [--top N] IMAGE...
          features   --image IMAGE --out DIR [--feature-set NAME]
          cache      info|clear [--cache-dir DIR]     (CNN feature cache; default $IMAGE_WORKBENCH_CACHE or ~/.cache/image-workbench/features)
          dataset    info [--data PATH]
                     subset --data PATH --out DIR --train-per-class N --test-per-class N [--seed N]

        --data takes a folder per class (optionally with train/ and test/ or val/), an IDX folder (MNIST family,
        .gz or raw) or a CSV/TSV manifest of path,label. Without --data the embedded datasets/fashion-mnist-mini is used.
        exit codes: 0 ok, 1 failure (one 'error:' line), 2 usage.

        """;

    private static readonly string[] DataOptions = ["data", "seed", "test-fraction", "max-train-per-class", "max-test-per-class", "max-bad-fraction"];

    private static readonly string[] CnnOptions = ["input-size", "resize", "cache-dir"];

    public static int Dispatch(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var rest = args[1..];
        return args[0] switch
        {
            "train" => Train(rest, output, cancellationToken),
            "evaluate" => Evaluate(rest, output, cancellationToken),
            "compare" => Compare(rest, output, cancellationToken),
            "bench" => Bench(rest, output, cancellationToken),
            "predict" => Predict(rest, output),
            "features" => Features(rest, output),
            "dataset" => Dataset(rest, output, cancellationToken),
            "cache" => Cache(rest, output),
            _ => throw new UsageException($"unknown command '{args[0]}'"),
        };
    }

    private static int Train(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var line = CommandLine.Parse(args, [.. DataOptions, .. CnnOptions, "pipeline", "out", "trainer", "feature-set", "max-iterations"], ["no-eval", "no-cache"]);
        var pipeline = ParsePipeline(line.Get("pipeline") ?? "handcrafted");
        var trainer = line.Get("trainer") is { } t ? Trainers.Parse(t) : (TrainerKind?)null;
        var outPath = line.Get("out") ?? $"{(pipeline == PipelineKind.Cnn ? "cnn" : "handcrafted")}-model.zip";
        CheckOutputFile(outPath, line);
        var warnings = NewWarnings();
        var data = LoadData(line, warnings);
        var options = new TrainingOptions
        {
            Pipeline = pipeline,
            Trainer = trainer,
            FeatureSet = line.Get("feature-set"),
            Seed = line.GetInt("seed", 42),
            EvaluateOnTest = !line.Has("no-eval"),
            MaxBadImageFraction = line.GetDouble("max-bad-fraction", 0.01, 0, 1),
            MaxIterations = line.GetOptionalInt("max-iterations", 1, 100_000),
            CnnPreprocessing = CnnPreprocessingFrom(line),
            UseFeatureCache = !line.Has("no-cache"),
            CacheDirectory = line.Get("cache-dir"),
        };

        var progress = new ConsoleProgress();
        var result = ModelTrainer.TrainAndSave(data, options, outPath, warnings, progress, cancellationToken);
        progress.EndLine();

        var m = result.Metadata;
        output.WriteLine($"model:    {Path.GetFullPath(outPath)} ({new FileInfo(outPath).Length:N0} bytes)");
        output.WriteLine($"data:     {data.Name}: {data.Classes.Count} classes, {m.Training.TrainCount:N0} train / {data.Test.Count:N0} test images{(warnings.SkippedCount > 0 ? $", {warnings.SkippedCount} skipped" : string.Empty)}");
        output.WriteLine($"features: {m.PipelineKind} {m.FeatureSet} ({m.FeatureLength:N0} values), {m.Training.TrainCount / Math.Max(m.Training.FeaturizeSeconds, 1e-9):N0} img/s");
        output.WriteLine($"trainer:  {m.Trainer}, {m.Training.TrainSeconds:F1} s, train accuracy {m.Training.TrainAccuracy:F4}");
        if (result.Test is { } test)
        {
            output.WriteLine($"test:     accuracy {test.Accuracy:F4}, macro accuracy {test.MacroAccuracy:F4}, log-loss {test.LogLoss:F4} ({test.Count:N0} images)");
        }

        return ExitCodes.Ok;
    }

    private static int Evaluate(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var line = CommandLine.Parse(args, [.. DataOptions, "model", "json"], []);
        var modelPath = line.Require("model");
        if (line.Get("json") is { } jsonToCheck)
        {
            CheckOutputFile(jsonToCheck, line);
            OutputTarget.CheckNotInside(jsonToCheck, modelPath, "model");
        }

        ModelPackage.ReadMetadata(modelPath); // a bad model file fails before the data is read
        var warnings = NewWarnings();
        var data = LoadData(line, warnings);

        // The test split when the data has one (its own, or our seeded split); IDX and train/test folders always do.
        var images = data.Test.Count > 0 ? data.Test : data.Train;
        var progress = new ConsoleProgress();
        var (_, metrics) = Evaluator.EvaluatePackage(modelPath, data, images, warnings, progress, cancellationToken);
        progress.EndLine();
        warnings.ThrowIfOverThreshold(images.Count, line.GetDouble("max-bad-fraction", 0.01, 0, 1));

        output.WriteLine($"{data.Name}: {metrics.Count:N0} images{(warnings.SkippedCount > 0 ? $" ({warnings.SkippedCount} skipped)" : string.Empty)}");
        output.WriteLine($"accuracy {metrics.Accuracy:F4}  macro accuracy {metrics.MacroAccuracy:F4}  macro F1 {metrics.MacroF1:F4}  log-loss {metrics.LogLoss:F4}");
        foreach (var c in metrics.PerClass)
        {
            output.WriteLine($"  {c.Class,-14} precision {c.Precision:F3}  recall {c.Recall:F3}  f1 {c.F1:F3}  support {c.Support}");
        }

        if (line.Get("json") is { } jsonPath)
        {
            var json = MetricsJson.ToJson(metrics);
            json["model"] = Path.GetFullPath(modelPath);
            json["dataset"] = data.Name;
            json["skipped"] = warnings.SkippedCount;
            AtomicFile.WriteAllText(jsonPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            output.WriteLine($"wrote {jsonPath}");
        }

        return ExitCodes.Ok;
    }

    private static int Compare(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var line = CommandLine.Parse(args, [.. DataOptions, "pipelines", "trainer", "trainers", "models", "out", "readme", "section"], []);
        var outDir = line.Require("out");
        OutputTarget.CheckNotInside(outDir, DataPath(line), "data set");
        if (line.Get("readme") is { } readmeTarget)
        {
            OutputTarget.CheckFile(readmeTarget);
        }

        // Models, pictures and report are staged and moved in together at the end: a failure or Ctrl+C changes nothing.
        using var staged = StagedFolder.Begin(outDir);
        var warnings = NewWarnings();
        var data = LoadData(line, warnings);
        var readmeSection = line.Get("section") ?? "results-" + data.Name;
        if (line.Get("readme") is { } readmeToCheck)
        {
            GeneratedSection.Check(readmeToCheck, readmeSection); // fail now, not after a run of many minutes
        }

        var options = new ComparisonOptions
        {
            Pipelines = (line.Get("pipelines") ?? "handcrafted,cnn").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParsePipeline).Distinct().ToArray(),
            Trainers = (line.Get("trainers") ?? line.Get("trainer") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Trainers.Parse).Distinct().ToArray(),
            Seed = line.GetInt("seed", 42),
            OutputFolder = outDir,
            StagedOutput = staged,
            MaxBadImageFraction = line.GetDouble("max-bad-fraction", 0.01, 0, 1),
        };
        var command = "pipeline compare " + string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a));
        var progress = new ConsoleProgress();
        var result = line.Get("models") is { } models
            ? ComparisonRunner.CompareModels(models.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), data, options, warnings, command, progress, cancellationToken)
            : ComparisonRunner.TrainAndCompare(data, options, warnings, command, progress, cancellationToken);
        progress.EndLine();
        var files = ComparisonReport.Write(result, staged, new DatasetReportImages(data));
        staged.Commit();
        output.Write(ResultsTable.Markdown(result));
        output.WriteLine();
        output.WriteLine(ReportAnalysis.TradeOff(result).Sentence);
        output.WriteLine($"wrote {files.Count} files to {Path.GetFullPath(outDir)} (report.html, report.md, report.json)");
        if (line.Get("readme") is { } readme)
        {
            GeneratedSection.Replace(readme, readmeSection, ResultsTable.Markdown(result) + "\n" + ReportAnalysis.TradeOff(result).Sentence + "\n");
            output.WriteLine($"updated the '{readmeSection}' section of {readme}");
        }
        return ExitCodes.Ok;
    }

    private static int Bench(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var line = CommandLine.Parse(args, [.. DataOptions, "pipelines", "out", "readme", "section"], []);
        var outPath = line.Require("out");
        CheckOutputFile(outPath, line);
        if (line.Get("readme") is { } readmeTarget)
        {
            OutputTarget.CheckFile(readmeTarget);
            OutputTarget.CheckNotInside(outPath, readmeTarget, "--readme file");
        }

        var warnings = NewWarnings();
        var data = LoadData(line, warnings);
        var section = line.Get("section") ?? "performance-" + data.Name;
        if (line.Get("readme") is { } readmeToCheck)
        {
            BenchMarkdown.CheckSection(readmeToCheck, section); // fail now, not after a long run
        }

        var options = new BenchOptions
        {
            Pipelines = (line.Get("pipelines") ?? "handcrafted,cnn").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParsePipeline).Distinct().ToArray(),
            Seed = line.GetInt("seed", 42),
            MaxBadImageFraction = line.GetDouble("max-bad-fraction", 0.01, 0, 1),
        };
        var command = "pipeline bench " + string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a));
        var progress = new ConsoleProgress();
        var result = BenchRunner.Run(data, options, command, warnings, progress, cancellationToken);
        progress.EndLine();
        BenchJson.Write(result, outPath);
        output.Write(BenchMarkdown.Table(result));
        output.WriteLine($"wrote {Path.GetFullPath(outPath)}");
        if (line.Get("readme") is { } readme)
        {
            GeneratedSection.Replace(readme, section, BenchMarkdown.Table(result));
            output.WriteLine($"updated the '{section}' section of {readme}");
        }

        return ExitCodes.Ok;
    }

    private static int Predict(string[] args, TextWriter output)
    {
        var line = CommandLine.Parse(args, ["model", "top"], ["json"]);
        var modelPath = line.Require("model");
        if (line.Positionals.Count == 0)
        {
            throw new UsageException("predict needs at least one image path");
        }

        var top = line.GetInt("top", 3, 1, 1000);
        using var classifier = ImageClassifier.Load(modelPath);
        var results = new JsonArray();
        var failures = 0;
        foreach (var path in line.Positionals)
        {
            try
            {
                var p = classifier.Predict(path);
                if (line.Has("json"))
                {
                    results.Add(new JsonObject
                    {
                        ["image"] = path,
                        ["label"] = p.Label,
                        ["confidence"] = p.Confidence,
                        ["scores"] = new JsonArray(p.Scores.Take(top).Select(s => (JsonNode?)new JsonObject { ["label"] = s.Key, ["score"] = s.Value }).ToArray()),
                    });
                }
                else
                {
                    var scores = string.Join("  ", p.Scores.Take(top).Select(s => $"{s.Key} {s.Value:F3}"));
                    output.WriteLine($"{path}: {p.Label} ({p.Confidence:F3})   {scores}");
                }
            }
            catch (ImageDecodeException ex)
            {
                failures++;
                Failures.Print($"error: {ex.Message}");
                if (line.Has("json"))
                {
                    results.Add(new JsonObject { ["image"] = path, ["error"] = ex.Message });
                }
            }
        }

        if (line.Has("json"))
        {
            output.WriteLine(results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }

        return failures == 0 ? ExitCodes.Ok : ExitCodes.Failure;
    }

    private static int Features(string[] args, TextWriter output)
    {
        var line = CommandLine.Parse(args, ["image", "out", "feature-set"], []);
        var written = Pictures.FeaturePictures.Write(line.Require("image"), line.Require("out"), line.Get("feature-set"));
        foreach (var file in written)
        {
            output.WriteLine($"wrote {file}");
        }

        return ExitCodes.Ok;
    }

    private static int Dataset(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        if (args.Length == 0)
        {
            throw new UsageException("dataset needs a subcommand: info or subset");
        }

        switch (args[0])
        {
            case "info":
            {
                var line = CommandLine.Parse(args[1..], DataOptions, []);
                var warnings = NewWarnings();
                var data = LoadData(line, warnings);
                output.WriteLine($"{data.Name} ({data.Location})");
                output.WriteLine($"  split: {(data.HasOwnSplit ? "the data set's own" : "seeded stratified")}, {data.Train.Count:N0} train / {data.Test.Count:N0} test");
                output.WriteLine($"  image shape: {(data.NativeShape is { } s ? s.ToString() : "varies (decoded on use)")}");
                // Counted in one pass each: a count per class over all images was quadratic (10,000 classes: 10^8 steps).
                var trainCounts = new int[data.Classes.Count];
                var testCounts = new int[data.Classes.Count];
                foreach (var image in data.Train)
                {
                    trainCounts[image.Label]++;
                }

                foreach (var image in data.Test)
                {
                    testCounts[image.Label]++;
                }

                for (var c = 0; c < data.Classes.Count; c++)
                {
                    output.WriteLine($"  {c,3} {data.Classes[c],-20} train {trainCounts[c],6:N0}  test {testCounts[c],6:N0}");
                }

                return ExitCodes.Ok;
            }

            case "subset":
            {
                var line = CommandLine.Parse(args[1..], [.. DataOptions, "out", "train-per-class", "test-per-class"], []);
                var outDir = line.Require("out");
                OutputTarget.CheckFolder(outDir);
                OutputTarget.CheckNotInside(outDir, line.Require("data"), "data set");
                var warnings = NewWarnings();
                var data = DatasetLoader.Load(line.Require("data"), DataOptionsFrom(line), warnings);
                DatasetSubsetter.WriteIdxSubset(data, outDir, line.GetInt("train-per-class", 0, 1), line.GetInt("test-per-class", 0, 1), line.GetInt("seed", 42), cancellationToken);
                output.WriteLine($"wrote {Path.GetFullPath(outDir)}");
                return ExitCodes.Ok;
            }

            default:
                throw new UsageException($"unknown dataset subcommand '{args[0]}'");
        }
    }

    private static int Cache(string[] args, TextWriter output)
    {
        if (args.Length == 0 || args[0] is not ("info" or "clear"))
        {
            throw new UsageException("cache needs a subcommand: info or clear");
        }

        var line = CommandLine.Parse(args[1..], ["cache-dir"], []);
        var cache = new FeatureCache(line.Get("cache-dir"));
        const double MiB = 1024.0 * 1024;
        var left = string.Empty;
        if (args[0] == "clear")
        {
            var cleared = cache.Clear();
            if (cleared.FirstForeignItem is { } foreign)
            {
                left = $"; left {cleared.ForeignItems:N0} item(s) the cache did not write, e.g. '{foreign}'";
            }

            output.WriteLine($"cleared {cleared.Entries:N0} entries ({cleared.Bytes / MiB:F1} MiB) from {cache.Directory}{left}");
        }
        else
        {
            var stats = cache.Inspect();
            if (stats.ForeignItems > 0)
            {
                left = $" ({stats.ForeignItems:N0} other item(s) not counted)";
            }

            output.WriteLine($"{cache.Directory}: {stats.Entries:N0} entries, {stats.Bytes / MiB:F1} MiB of at most {cache.MaxBytes / MiB:F0} MiB{left}");
        }

        return ExitCodes.Ok;
    }

    /// <summary>The CNN input options; null when none is given (the measured default then applies).</summary>
    private static CnnPreprocessing? CnnPreprocessingFrom(CommandLine line)
    {
        if (line.Get("input-size") is null && line.Get("resize") is null)
        {
            return null;
        }

        var mode = CnnPreprocessing.Default.ResizeMode;
        if (line.Get("resize") is { } resize && !Enum.TryParse(resize.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out mode))
        {
            throw new UsageException($"--resize must be stretch, pad or center-crop, got '{resize}'");
        }

        return CnnPreprocessing.Default with { InputSize = line.GetInt("input-size", CnnPreprocessing.Default.InputSize, 32, 1024), ResizeMode = mode };
    }

    private static PipelineKind ParsePipeline(string name) => name.Trim().ToLowerInvariant() switch
    {
        "handcrafted" or "hand-crafted" => PipelineKind.HandCrafted,
        "cnn" => PipelineKind.Cnn,
        _ => throw new UsageException($"--pipeline must be handcrafted or cnn, got '{name}'"),
    };

    /// <summary>Warnings printed above any progress bar, five examples per kind, the rest counted at the end of the run.</summary>
    private static DataWarnings NewWarnings()
    {
        var warnings = new DataWarnings(ConsoleProgress.WriteLine, examplesPerKind: 5);
        RunEnd.Register(warnings.Flush);
        return warnings;
    }

    private static DatasetOptions DataOptionsFrom(CommandLine line) => new()
    {
        TestFraction = line.GetDouble("test-fraction", 0.2, 0, 1),
        Seed = line.GetInt("seed", 42),
        MaxTrainPerClass = line.GetOptionalInt("max-train-per-class", 1),
        MaxTestPerClass = line.GetOptionalInt("max-test-per-class", 1),
        MaxBadFraction = line.GetDouble("max-bad-fraction", 0.01, 0, 1),
    };

    private static string DataPath(CommandLine line) => line.Get("data") ?? EmbeddedDataset.Locate();

    private static ImageDataset LoadData(CommandLine line, DataWarnings warnings)
    {
        // Usually instant; shown (with the time elapsed) only when a big folder tree takes a while to scan.
        var progress = new ConsoleProgress(quietFor: TimeSpan.FromSeconds(2));
        progress.Report(new TrainingProgress("reading the data set", 0, 1, 0));
        var data = DatasetLoader.Load(DataPath(line), DataOptionsFrom(line), warnings);
        progress.Report(new TrainingProgress("reading the data set", 1, 1, 0));
        return data;
    }

    /// <summary>Before any long work: the output file can be written (no device, link or folder there) and does not land in the data set.</summary>
    private static void CheckOutputFile(string path, CommandLine line)
    {
        OutputTarget.CheckFileWritable(path);
        OutputTarget.CheckNotInside(path, DataPath(line), "data set");
    }
}
