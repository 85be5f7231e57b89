using System.Text.Json;
using ImageWorkbench.FeatureExtractors;
using System.Text.Json.Nodes;
using ImageWorkbench.Pipeline.Benchmarking;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Pipelines.HandCrafted;
using ImageWorkbench.Pipeline.Comparison;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Files;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Cli;

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
        --max-bad-fraction F (0..1, default 0.01): share of unreadable images skipped with a warning before the run
        fails; 0 fails on any, 1 never fails. --seed N: 0..2147483647. Every option is checked before any work; an
        option given twice, an empty value or an option that does not apply to the command is a usage error.
        Ctrl+C stops any stage, training included, within a second or two; nothing half-written is left.
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
        var pipeline = line.Get("pipeline") is { } p ? ParsePipeline("pipeline", p) : PipelineRegistry.Default;
        foreach (var other in PipelineRegistry.All.Where(o => o != pipeline))
        {
            line.Refuse([.. other.OwnOptions.Except(pipeline.OwnOptions)], $"applies to --pipeline {other.Name} only");
        }

        var outPath = line.Get("out") ?? $"{pipeline.Name}-model.zip";
        var dataRequest = DataRequestFrom(line);
        var options = new TrainingOptions
        {
            Pipeline = pipeline,
            Trainer = line.Get("trainer") is { } t ? ParseTrainer("trainer", t) : null,
            Seed = dataRequest.Options.Seed,
            EvaluateOnTest = !line.Has("no-eval"),
            MaxBadImageFraction = dataRequest.Options.MaxBadFraction,
            MaxIterations = line.GetOptionalInt("max-iterations", 1, 100_000),
            PipelineOptions =
            [
                new HandCraftedPipelineOptions { FeatureSet = line.Get("feature-set") is { } f ? ParseFeatureSet(f) : null },
                new CnnPipelineOptions { Preprocessing = CnnPreprocessingFrom(line) },
            ],
            UseFeatureCache = !line.Has("no-cache"),
            CacheDirectory = line.Get("cache-dir"),
        };
        CheckOutputFile(outPath, dataRequest);
        var warnings = NewWarnings();
        var data = LoadData(dataRequest, warnings);

        var progress = new ConsoleProgress();
        var result = ModelTrainer.TrainAndSave(data, options, outPath, warnings, progress, cancellationToken);
        progress.EndLine();

        var m = result.Metadata;
        output.WriteLine($"model:    {TerminalText.Escape(Path.GetFullPath(outPath))} ({new FileInfo(outPath).Length:N0} bytes)");
        output.WriteLine($"data:     {TerminalText.Escape(data.Name)}: {data.Classes.Count} classes, {m.Training.TrainCount:N0} train / {data.Test.Count:N0} test images{(warnings.SkippedCount > 0 ? $", {warnings.SkippedCount} skipped" : string.Empty)}");
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
        var jsonPath = line.Get("json");
        var dataRequest = DataRequestFrom(line);
        if (jsonPath is not null)
        {
            CheckOutputFile(jsonPath, dataRequest);
            OutputTarget.CheckNotInside(jsonPath, modelPath, "model");
        }

        ModelPackage.ReadMetadata(modelPath); // a bad model file fails before the data is read
        var warnings = NewWarnings();
        var data = LoadData(dataRequest, warnings);

        // The test split when the data has one (its own, or our seeded split); IDX and train/test folders always do.
        var images = data.Test.Count > 0 ? data.Test : data.Train;
        var progress = new ConsoleProgress();
        var (_, metrics) = Evaluator.EvaluatePackage(modelPath, data, images, warnings, progress, cancellationToken);
        progress.EndLine();
        warnings.ThrowIfOverThreshold(images.Count, dataRequest.Options.MaxBadFraction);

        output.WriteLine($"{TerminalText.Escape(data.Name)}: {metrics.Count:N0} images{(warnings.SkippedCount > 0 ? $" ({warnings.SkippedCount} skipped)" : string.Empty)}");
        output.WriteLine($"accuracy {metrics.Accuracy:F4}  macro accuracy {metrics.MacroAccuracy:F4}  macro F1 {metrics.MacroF1:F4}  log-loss {metrics.LogLoss:F4}");
        foreach (var c in metrics.PerClass)
        {
            output.WriteLine($"  {c.Class,-14} precision {c.Precision:F3}  recall {c.Recall:F3}  f1 {c.F1:F3}  support {c.Support}");
        }

        if (jsonPath is not null)
        {
            var json = MetricsJson.ToJson(metrics);
            json["model"] = Path.GetFullPath(modelPath);
            json["dataset"] = data.Name;
            json["skipped"] = warnings.SkippedCount;
            AtomicFile.WriteAllText(jsonPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            output.WriteLine($"wrote {TerminalText.Escape(jsonPath)}");
        }

        return ExitCodes.Ok;
    }

    /// <summary>What a <c>compare --readme</c> that names a file compare itself writes into <c>--out</c> is, in the refusal.</summary>
    private const string ReadmeCollision = "file compare writes into --out";

    private static int Compare(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var line = CommandLine.Parse(args, [.. DataOptions, "pipelines", "trainer", "trainers", "models", "out", "readme", "section"], []);
        var outDir = line.Require("out");
        var models = line.GetList("models", Path.GetFullPath);
        if (models is not null)
        {
            line.Refuse(["pipelines", "trainer", "trainers", "max-train-per-class"], "does not apply to compare --models (the packages are evaluated as they are)");
        }

        if (line.Given("trainer") && line.Given("trainers"))
        {
            throw new UsageException("--trainer and --trainers are the same option: give one");
        }

        RefuseSectionWithoutReadme(line);
        var dataRequest = DataRequestFrom(line);
        var options = new ComparisonOptions
        {
            Pipelines = line.GetList("pipelines", p => ParsePipeline("pipelines", p)) ?? PipelineRegistry.All,
            Trainers = line.GetList("trainers", t => ParseTrainer("trainers", t)) ?? line.GetList("trainer", t => ParseTrainer("trainer", t)) ?? [],
            Seed = dataRequest.Options.Seed,
            OutputFolder = outDir,
            MaxBadImageFraction = dataRequest.Options.MaxBadFraction,
        };
        OutputTarget.CheckNotInside(outDir, DataPath(dataRequest), "data set");
        if (line.Get("readme") is { } readmeTarget)
        {
            OutputTarget.CheckFile(readmeTarget);
            foreach (var reportFile in new[] { ComparisonReport.MarkdownFile, ComparisonReport.HtmlFile, ComparisonReport.JsonFile })
            {
                OutputTarget.CheckNotInside(readmeTarget, Path.Combine(outDir, reportFile), ReadmeCollision); // fail now, not after the run
            }
        }

        // Models, pictures and report are staged and moved in together at the end: a failure or Ctrl+C changes nothing.
        using var staged = StagedFolder.Begin(outDir);
        options = options with { StagedOutput = staged };
        var warnings = NewWarnings();
        var data = LoadData(dataRequest, warnings);
        var readmeSection = line.Get("section") ?? "results-" + data.Name;
        if (line.Get("readme") is { } readmeToCheck)
        {
            GeneratedSection.Check(readmeToCheck, readmeSection); // fail now, not after a run of many minutes
        }

        var command = "pipeline compare " + string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a));
        var progress = new ConsoleProgress();
        var result = models is not null
            ? ComparisonRunner.CompareModels(models, data, options, warnings, command, progress, cancellationToken)
            : ComparisonRunner.TrainAndCompare(data, options, warnings, command, progress, cancellationToken);
        progress.EndLine();
        var files = ComparisonReport.Write(result, staged, new DatasetReportImages(data));
        if (line.Get("readme") is { } readmeToKeep)
        {
            staged.CheckNotStaged(readmeToKeep, ReadmeCollision); // e.g. a model's name: known only now, still before any change
        }

        staged.Commit();
        output.Write(ResultsTable.Markdown(result));
        output.WriteLine();
        output.WriteLine(ReportAnalysis.TradeOff(result).Sentence);
        output.WriteLine($"wrote {files.Count} files to {TerminalText.Escape(Path.GetFullPath(outDir))} (report.html, report.md, report.json)");
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
        RefuseSectionWithoutReadme(line);
        var dataRequest = DataRequestFrom(line);
        var options = new BenchOptions
        {
            Pipelines = line.GetList("pipelines", p => ParsePipeline("pipelines", p)) ?? PipelineRegistry.All,
            Seed = dataRequest.Options.Seed,
            MaxBadImageFraction = dataRequest.Options.MaxBadFraction,
        };
        CheckOutputFile(outPath, dataRequest);
        if (line.Get("readme") is { } readmeTarget)
        {
            OutputTarget.CheckFile(readmeTarget);
            OutputTarget.CheckNotInside(outPath, readmeTarget, "--readme file");
        }

        var warnings = NewWarnings();
        var data = LoadData(dataRequest, warnings);
        var section = line.Get("section") ?? "performance-" + data.Name;
        if (line.Get("readme") is { } readmeToCheck)
        {
            BenchMarkdown.CheckSection(readmeToCheck, section); // fail now, not after a long run
        }

        var command = "pipeline bench " + string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a));
        var progress = new ConsoleProgress();
        var result = BenchRunner.Run(data, options, command, warnings, progress, cancellationToken);
        progress.EndLine();
        BenchJson.Write(result, outPath);
        output.Write(BenchMarkdown.Table(result));
        output.WriteLine($"wrote {TerminalText.Escape(Path.GetFullPath(outPath))}");
        if (line.Get("readme") is { } readme)
        {
            GeneratedSection.Replace(readme, section, BenchMarkdown.Table(result));
            output.WriteLine($"updated the '{section}' section of {readme}");
        }

        return ExitCodes.Ok;
    }

    private static int Predict(string[] args, TextWriter output)
    {
        var line = CommandLine.Parse(args, ["model", "top"], ["json"], takesPositionals: true);
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
                    // stdout is a terminal too: a newline in a name would forge a line, an escape sequence would run
                    var scores = string.Join("  ", p.Scores.Take(top).Select(s => $"{TerminalText.Escape(s.Key)} {s.Value:F3}"));
                    output.WriteLine($"{TerminalText.Escape(path)}: {TerminalText.Escape(p.Label)} ({p.Confidence:F3})   {scores}");
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
        var image = line.Require("image");
        var outDir = line.Require("out");
        var featureSet = line.Get("feature-set") is { } f ? ParseFeatureSet(f) : null;
        var written = Pictures.FeaturePictures.Write(image, outDir, featureSet);
        foreach (var file in written)
        {
            output.WriteLine($"wrote {TerminalText.Escape(file)}");
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
                var dataRequest = DataRequestFrom(CommandLine.Parse(args[1..], DataOptions, []));
                var warnings = NewWarnings();
                var data = LoadData(dataRequest, warnings);
                output.WriteLine($"{TerminalText.Escape(data.Name)} ({TerminalText.Escape(data.Location)})");
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
                var dataPath = line.Require("data");
                var outDir = line.Require("out");
                var trainPerClass = line.RequireInt("train-per-class", 1);
                var testPerClass = line.RequireInt("test-per-class", 1);
                var dataOptions = DataOptionsFrom(line);
                OutputTarget.CheckFolder(outDir);
                OutputTarget.CheckNotInside(outDir, dataPath, "data set");
                var warnings = NewWarnings();
                var data = DatasetLoader.Load(dataPath, dataOptions, warnings);
                DatasetSubsetter.WriteIdxSubset(data, outDir, trainPerClass, testPerClass, dataOptions.Seed, cancellationToken);
                output.WriteLine($"wrote {TerminalText.Escape(Path.GetFullPath(outDir))}");
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

        // Names only: Enum.TryParse would also take numbers ("7") and flag lists ("pad,stretch").
        var mode = line.Get("resize") is not { } resize ? CnnPreprocessing.Default.ResizeMode : resize.Trim().ToLowerInvariant() switch
        {
            "stretch" => ResizeMode.Stretch,
            "pad" => ResizeMode.Pad,
            "center-crop" or "centercrop" => ResizeMode.CenterCrop,
            _ => throw new UsageException($"--resize must be stretch, pad or center-crop, got '{resize}'"),
        };

        var inputSize = line.GetInt("input-size", CnnPreprocessing.Default.InputSize, 32, 1024);
        try
        {
            ResNet18Model.ValidateInputSize(inputSize);
        }
        catch (WorkbenchException ex)
        {
            throw new UsageException($"--input-size: {ex.Message}");
        }

        return CnnPreprocessing.Default with { InputSize = inputSize, ResizeMode = mode };
    }

    private static IPipelineWing ParsePipeline(string option, string name) =>
        PipelineRegistry.TryGet(name, out var pipeline) ? pipeline : throw new UsageException($"--{option} must be {PipelineRegistry.KnownNames}, got '{name}'");

    private static TrainerKind ParseTrainer(string option, string name) =>
        Trainers.TryParse(name, out var kind) ? kind : throw new UsageException($"--{option}: unknown trainer '{name}' (known: {Trainers.KnownNames})");

    private static string ParseFeatureSet(string name) =>
        FeatureSetPresets.Names.Contains(name) ? name : throw new UsageException($"--feature-set: unknown feature set '{name}' (known: {string.Join(", ", FeatureSetPresets.Names)})");

    private static void RefuseSectionWithoutReadme(CommandLine line)
    {
        if (!line.Given("readme"))
        {
            line.Refuse(["section"], "names a section of --readme, which is not given");
        }
    }

    /// <summary>Warnings printed above any progress bar, five examples per kind, the rest counted at the end of the run.</summary>
    private static DataWarnings NewWarnings()
    {
        var warnings = new DataWarnings(ConsoleProgress.WriteLine, examplesPerKind: 5);
        RunEnd.Register(warnings.Flush);
        return warnings;
    }

    /// <summary>
    /// The data options, all checked here, before any work. --max-bad-fraction 0 fails a run on any unreadable image;
    /// 1 skips any number of them.
    /// </summary>
    private static DatasetOptions DataOptionsFrom(CommandLine line) => new()
    {
        TestFraction = line.GetDouble("test-fraction", 0.2, 0, 1),
        Seed = line.GetInt("seed", 42, 0),
        MaxTrainPerClass = line.GetOptionalInt("max-train-per-class", 1),
        MaxTestPerClass = line.GetOptionalInt("max-test-per-class", 1),
        MaxBadFraction = line.GetDouble("max-bad-fraction", 0.01, 0, 1, minIncluded: true, maxIncluded: true),
    };

    /// <summary>The data set a command reads (null path: the embedded one) and its checked options.</summary>
    private sealed record DataRequest(string? Path, DatasetOptions Options);

    private static DataRequest DataRequestFrom(CommandLine line) => new(line.Get("data"), DataOptionsFrom(line));

    private static string DataPath(DataRequest request) => request.Path ?? EmbeddedDataset.Locate();

    private static ImageDataset LoadData(DataRequest request, DataWarnings warnings)
    {
        // Usually instant; shown (with the time elapsed) only when a big folder tree takes a while to scan.
        var progress = new ConsoleProgress(quietFor: TimeSpan.FromSeconds(2));
        progress.Report(new TrainingProgress("reading the data set", 0, 1, 0));
        var data = DatasetLoader.Load(DataPath(request), request.Options, warnings);
        progress.Report(new TrainingProgress("reading the data set", 1, 1, 0));
        return data;
    }

    /// <summary>Before any long work: the output file can be written (no device, link or folder there) and does not land in the data set.</summary>
    private static void CheckOutputFile(string path, DataRequest request)
    {
        OutputTarget.CheckFileWritable(path);
        OutputTarget.CheckNotInside(path, DataPath(request), "data set");
    }
}
