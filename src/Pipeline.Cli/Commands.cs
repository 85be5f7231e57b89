using System.Text.Json;
using ImageWorkbench.FeatureExtractors;
using System.Text.Json.Nodes;
using ImageWorkbench.Pipeline.Benchmarking;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Pipelines.CnnFinetune;
using ImageWorkbench.Pipeline.Pipelines.CnnScratch;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Pipelines.HandCrafted;
using ImageWorkbench.Pipeline.Comparison;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Files;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary>The commands. Each parses its options and calls src/Pipeline; none holds ML logic.</summary>
internal static partial class Commands
{
    /// <summary>The root help's text: what the tool is and what holds for every command.</summary>
    public const string Description =
        "pipeline: image classification workbench: hand-crafted Sobel/HOG features vs a frozen ResNet18, on ML.NET.\n\n"
        + "Without --data every command uses the embedded datasets/fashion-mnist-mini (28x28 grey), except compare, which runs it and datasets/caltech101-mini (colour photos) side by side. Every option is checked before any work; an option given twice, an empty value or an option that does not apply is a usage error. "
        + "Ctrl+C stops any stage, training included, within a second or two; nothing half-written is left. "
        + "Exit codes: 0 ok, 1 failure (one 'error:' line), 2 usage (one 'usage error:' line). "
        + "Tab completion: see README (dotnet-suggest).";

    /// <summary>The commands, each with the options it takes (defined once in <see cref="Opt"/>) and its one method.</summary>
    /// <remarks>A property, not a field: <see cref="Opt"/>'s fields parse their defaults with this class's parsers, and a
    /// field here would make the two classes' static initialisation depend on which is touched first.</remarks>
    public static IReadOnlyList<CliCommand> Table =>
    [
        new("train", "Trains one model package and evaluates it on the test split (unless --no-eval).",
            [Opt.Pipeline, .. Opt.DataOptions, Opt.ModelOut, Opt.Trainer, Opt.FeatureSet, Opt.MaxIterations, Opt.NoEval, .. Opt.CnnOptions, Opt.NoCache, .. Opt.BackboneOptions, .. Opt.ScratchOptions, .. Opt.FinetuneOptions, Opt.Features], Train),
        new("evaluate", "Metrics of a model package on the test split of --data, or on all of it with --all (a hold-out folder). Classes are matched by name: the data may hold some of the model's classes; images of classes the model does not know are counted apart.",
            [Opt.Model, .. Opt.DataOptions, Opt.EvaluateAll, Opt.MetricsJson], Evaluate) { Required = [Opt.Model] },
        new("compare", "Trains every pipeline (x trainer) on the same split and seed, or takes --models trained earlier, evaluates each on the same test images, measures costs and writes report.md, report.html, report.json and the models into --out.",
            [.. Opt.DataOptions, Opt.Pipelines, Opt.Trainers, Opt.TrainerList, Opt.Models, Opt.FeatureFolders, Opt.ReportOut, Opt.Readme, Opt.CompareSection, Opt.LearningCurve, Opt.Folds, .. Opt.BackboneOptions], Compare) { Required = [Opt.ReportOut] },
        new("bench", "Whole-program speed on this machine: featurization images/s on one and on all threads, training seconds, prediction p50/p95, batch throughput, allocations per prediction, model bytes, peak working set (CNN cache off).",
            [.. Opt.DataOptions, Opt.Pipelines, Opt.BenchOut, Opt.Readme, Opt.BenchSection], Bench) { Required = [Opt.BenchOut] },
        FeaturizeCommand,
        new("predict", PredictDescription, PredictOptions, Predict) { Required = [Opt.Model], TakesImages = true },
        new("features", "Writes the image's Sobel gx.png, gy.png, magnitude.png and a HOG glyph picture hog.png, and the first-layer kernels a CNN learned beside Sobel's (kernels.png, responses.png, sobel-kernels.png, sobel-responses.png, kernels.txt): of --model's network, or of the packaged ResNet18.",
            [Opt.Image, Opt.PicturesOut, Opt.FeatureSet, Opt.Model], Features) { Required = [Opt.Image, Opt.PicturesOut] },
        new("dataset info", "Classes, split and image counts of a data set.", Opt.DataOptions, DatasetInfo),
        new("dataset subset", "Writes a stratified subset as IDX .gz files (how datasets/fashion-mnist-mini was made).",
            [.. Opt.DataOptions, Opt.SubsetOut, Opt.TrainPerClass, Opt.TestPerClass], DatasetSubset) { Required = [Opt.Data, Opt.SubsetOut, Opt.TrainPerClass, Opt.TestPerClass] },
        new("dataset export", ExportDescription, [.. Opt.DataOptions, Opt.ExportOut, Opt.ExportSplit], DatasetExport) { Required = [Opt.ExportOut] },
        new("cache info", "Entries and size of the CNN feature cache (bounded at 2 GiB, least recently used evicted).", [Opt.CacheDir], Cache),
        new("cache clear", "Deletes the CNN feature cache's own entries (and refuses a folder that is not a cache).", [Opt.CacheDir], Cache),
    ];

    /// <summary>Commands that only group others.</summary>
    public static readonly IReadOnlyDictionary<string, string> Groups = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["dataset"] = "Look at a data set, or write a subset or class folders of it.",
        ["cache"] = "The CNN feature cache: features are computed once per (image content, network, preprocessing) and reused across runs and trainers.",
    };

    public static CommandTree Tree() => new(Description, Table, Groups);

    private static int Train(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        if (line.Given(Opt.Features))
        {
            return TrainFromFeatures(line, output, cancellationToken);
        }

        var pipeline = line.Get(Opt.Pipeline) ?? PipelineRegistry.Default;
        RefuseOtherPipelinesOptions(line, pipeline);
        var outPath = line.Get(Opt.ModelOut) ?? $"{pipeline.Name}-model.zip";
        var autoTrainer = line.Get(Opt.Trainer) is { IsAuto: true };
        var dataRequest = DataRequestFrom(line);
        var options = TrainingOptionsFrom(line, pipeline, dataRequest);
        CheckOutputFile(outPath, dataRequest);
        var warnings = NewWarnings();
        var data = LoadData(dataRequest, warnings);

        var progress = new ConsoleProgress();
        if (autoTrainer)
        {
            options = options with { Trainer = ChooseTrainer(options, data, progress, output, cancellationToken) };
        }

        var result = ModelTrainer.TrainAndSave(data, options, outPath, warnings, progress, cancellationToken);
        progress.EndLine();
        PrintTrainingResult(output, outPath, result, data.Name, data.Classes.Count, data.Test.Count, warnings);
        return ExitCodes.Ok;
    }

    /// <summary>The training options of <c>train</c> and <c>featurize</c>, from the command line.</summary>
    private static TrainingOptions TrainingOptionsFrom(CommandLine line, IPipelineWing pipeline, DataRequest dataRequest) => new()
    {
        Pipeline = pipeline,
        Trainer = line.Command.Options.Contains(Opt.Trainer) ? line.Get(Opt.Trainer)?.Kind : null, // featurize trains nothing
        Seed = dataRequest.Options.Seed,
        EvaluateOnTest = !(line.Command.Options.Contains(Opt.NoEval) && line.Has(Opt.NoEval)),
        MaxBadImageFraction = dataRequest.Options.MaxBadFraction,
        MaxIterations = line.Command.Options.Contains(Opt.MaxIterations) ? line.Get(Opt.MaxIterations) : null,
        PipelineOptions =
        [
            new HandCraftedPipelineOptions { FeatureSet = line.Get(Opt.FeatureSet) },
            new CnnPipelineOptions { Preprocessing = CnnPreprocessingFrom(line), Backbone = line.Command.Options.Contains(Opt.Backbone) ? Opt.BackboneFrom(line) : null },
            line.Command.Options.Contains(Opt.Architecture) ? ScratchOptionsFrom(line) : new CnnScratchOptions(), // featurize has no training options
            line.Command.Options.Contains(Opt.TrainedStages) ? FinetuneOptionsFrom(line) : new CnnFinetuneOptions(),
        ],
        UseFeatureCache = !line.Has(Opt.NoCache),
        CacheDirectory = line.Get(Opt.CacheDir),
    };

    private static void PrintTrainingResult(TextWriter output, string outPath, TrainingResult result, string dataName, int classCount, int testCount, DataWarnings warnings)
    {
        var m = result.Metadata;
        output.WriteLine($"model:    {TerminalText.Escape(Path.GetFullPath(outPath))} ({new FileInfo(outPath).Length:N0} bytes)");
        output.WriteLine($"data:     {TerminalText.Escape(dataName)}: {classCount} classes, {m.Training.TrainCount:N0} train / {testCount:N0} test images{(warnings.SkippedCount > 0 ? $", {warnings.SkippedCount} skipped" : string.Empty)}");
        output.WriteLine($"features: {m.PipelineKind} {m.FeatureSet} ({m.FeatureLength:N0} values), {m.Training.TrainCount / Math.Max(m.Training.FeaturizeSeconds, 1e-9):N0} img/s");
        output.WriteLine($"trainer:  {m.Trainer}, {m.Training.TrainSeconds:F1} s, train accuracy {m.Training.TrainAccuracy:F4}");
        if (result.Test is { } test)
        {
            output.WriteLine($"test:     accuracy {test.Accuracy:F4}, macro accuracy {test.MacroAccuracy:F4}, log-loss {test.LogLoss:F4} ({test.Count:N0} images)");
        }
    }

    private static int Evaluate(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        var modelPath = line.Require(Opt.Model);
        var jsonPath = line.Get(Opt.MetricsJson);
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
        // --all: every image, train and test parts alike (a hold-out folder the model never saw).
        IReadOnlyList<LabeledImage> images = line.Has(Opt.EvaluateAll) ? [.. data.Train, .. data.Test] : data.Test.Count > 0 ? data.Test : data.Train;
        var progress = new ConsoleProgress();
        var holdOut = HoldOutEvaluation.Evaluate(modelPath, data, images, warnings, progress, cancellationToken);
        var metrics = holdOut.Metrics;
        progress.EndLine();
        warnings.ThrowIfOverThreshold(images.Count, dataRequest.Options.MaxBadFraction);

        output.WriteLine($"{TerminalText.Escape(data.Name)}: {metrics.Count:N0} images{(warnings.SkippedCount > 0 ? $" ({warnings.SkippedCount} skipped)" : string.Empty)}");
        WriteClassMatch(holdOut, output);
        output.WriteLine($"accuracy {metrics.Accuracy:F4}  macro accuracy {metrics.MacroAccuracy:F4}  macro F1 {metrics.MacroF1:F4}  log-loss {metrics.LogLoss:F4}");
        foreach (var c in holdOut.Present)
        {
            output.WriteLine($"  {c.Class,-14} precision {c.Precision:F3}  recall {c.Recall:F3}  f1 {c.F1:F3}  support {c.Support}");
        }

        if (jsonPath is not null)
        {
            var json = MetricsJson.ToJson(metrics);
            json["model"] = Path.GetFullPath(modelPath);
            json["dataset"] = data.Name;
            json["skipped"] = warnings.SkippedCount;
            json["unknownClassImages"] = new JsonObject(holdOut.Unknown.Select(u => KeyValuePair.Create(u.Class, (JsonNode?)u.Count)));
            AtomicFile.WriteAllText(jsonPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            output.WriteLine($"wrote {TerminalText.Escape(jsonPath)}");
        }

        return ExitCodes.Ok;
    }

    /// <summary>What a <c>compare --readme</c> that names a file compare itself writes into <c>--out</c> is, in the refusal.</summary>
    private const string ReadmeCollision = "file compare writes into --out";

    private static int Compare(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        var outDir = line.Require(Opt.ReportOut);
        if (line.Get(Opt.FeatureFolders) is { } featureFolders)
        {
            return CompareStoredFeatures(line, output, outDir, featureFolders, cancellationToken);
        }

        var models = line.Get(Opt.Models);
        if (models is not null)
        {
            line.Refuse([Opt.Pipelines, Opt.TrainerList, Opt.Trainers, Opt.MaxTrainPerClass, Opt.LearningCurve, Opt.Folds, .. Opt.BackboneOptions], "does not apply to compare --models (the packages are evaluated as they are)");
        }

        if (line.Given(Opt.TrainerList) && line.Given(Opt.Trainers))
        {
            throw new UsageException("--trainer and --trainers are the same option: give one");
        }

        RefuseSectionWithoutReadme(line, Opt.CompareSection);
        var dataPaths = CompareDataPaths(line.Get(Opt.Data), models is not null);
        var dataRequest = DataRequestFrom(line) with { Path = dataPaths[0] };
        var options = new ComparisonOptions
        {
            Pipelines = line.Get(Opt.Pipelines) ?? PipelineRegistry.RunByDefault,
            Seed = dataRequest.Options.Seed,
            OutputFolder = outDir,
            MaxBadImageFraction = dataRequest.Options.MaxBadFraction,
            PipelineOptions = Opt.BackboneFrom(line) is { } backbone ? [new CnnPipelineOptions { Backbone = backbone }] : [],
        };
        options = WithStudies(line, options);
        if (line.Given(Opt.Backbone) && !options.Pipelines.Any(p => p.OwnOptions.Contains(Opt.Backbone.Name)))
        {
            throw new UsageException($"--backbone applies to {string.Join(" and ", PipelineRegistry.All.Where(p => p.OwnOptions.Contains(Opt.Backbone.Name)).Select(p => p.Name))}, and --pipelines names none of them");
        }

        if (dataPaths.Count > 1)
        {
            return CompareSeveral(line, output, options, dataPaths, dataRequest.Options, cancellationToken);
        }

        OutputTarget.CheckNotInside(outDir, DataPath(dataRequest), "data set");
        CheckReadmeTarget(line, outDir);

        // Models, pictures and report are staged and moved in together at the end: a failure or Ctrl+C changes nothing.
        using var staged = StagedFolder.Begin(outDir);
        options = options with { StagedOutput = staged };
        var warnings = NewWarnings();
        var data = LoadData(dataRequest, warnings);
        var readmeSection = line.Get(Opt.CompareSection) ?? "results-" + data.Name;
        if (line.Get(Opt.Readme) is { } readmeToCheck)
        {
            GeneratedSection.Check(readmeToCheck, readmeSection); // fail now, not after a run of many minutes
        }

        var command = CommandText(line);
        var progress = new ConsoleProgress();
        var result = models is not null
            ? ComparisonRunner.CompareModels(models, data, options, warnings, command, progress, cancellationToken)
            : ComparisonRunner.TrainAndCompare(data, options, warnings, command, progress, cancellationToken);
        progress.EndLine();
        return WriteComparison(line, output, result, staged, new DatasetReportImages(data), outDir, readmeSection);
    }

    /// <summary>The end of a one-data-set comparison: the report into the staged folder, committed, the table printed, README's block replaced.</summary>
    private static int WriteComparison(CommandLine line, TextWriter output, ComparisonResult result, StagedFolder staged, IReportImages images, string outDir, string readmeSection)
    {
        var files = ComparisonReport.Write(result, staged, images);
        if (line.Get(Opt.Readme) is { } readmeToKeep)
        {
            staged.CheckNotStaged(readmeToKeep, ReadmeCollision); // e.g. a model's name: known only now, still before any change
        }

        staged.Commit();
        output.Write(ResultsTable.Markdown(result));
        output.WriteLine();
        output.WriteLine(ReportAnalysis.TradeOff(result).Sentence);
        output.WriteLine($"wrote {files.Count} files to {TerminalText.Escape(Path.GetFullPath(outDir))} (report.html, report.md, report.json)");
        if (line.Get(Opt.Readme) is { } readme)
        {
            GeneratedSection.Replace(readme, readmeSection, ReadmeBlock(result));
            output.WriteLine($"updated the '{readmeSection}' section of {readme}");
        }

        return ExitCodes.Ok;
    }

    private static int Bench(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        var outPath = line.Require(Opt.BenchOut);
        RefuseSectionWithoutReadme(line, Opt.BenchSection);
        var dataRequest = DataRequestFrom(line);
        var options = new BenchOptions
        {
            Pipelines = line.Get(Opt.Pipelines) ?? PipelineRegistry.RunByDefault,
            Seed = dataRequest.Options.Seed,
            MaxBadImageFraction = dataRequest.Options.MaxBadFraction,
        };
        CheckOutputFile(outPath, dataRequest);
        if (line.Get(Opt.Readme) is { } readmeTarget)
        {
            OutputTarget.CheckFile(readmeTarget);
            OutputTarget.CheckNotInside(outPath, readmeTarget, "--readme file");
        }

        var warnings = NewWarnings();
        var data = LoadData(dataRequest, warnings);
        var section = line.Get(Opt.BenchSection) ?? "performance-" + data.Name;
        if (line.Get(Opt.Readme) is { } readmeToCheck)
        {
            BenchMarkdown.CheckSection(readmeToCheck, section); // fail now, not after a long run
        }

        var command = CommandText(line);
        var progress = new ConsoleProgress();
        var result = BenchRunner.Run(data, options, command, warnings, progress, cancellationToken);
        if (options.Pipelines.Contains(PipelineRegistry.FrozenCnn))
        {
            result = result with { ShardScaling = MeasureShardScaling(line, data.Train.Count + data.Test.Count, progress, cancellationToken) };
        }

        progress.EndLine();
        BenchJson.Write(result, outPath);
        output.Write(BenchMarkdown.Table(result));
        output.WriteLine($"wrote {TerminalText.Escape(Path.GetFullPath(outPath))}");
        if (line.Get(Opt.Readme) is { } readme)
        {
            GeneratedSection.Replace(readme, section, BenchMarkdown.Table(result));
            output.WriteLine($"updated the '{section}' section of {readme}");
        }

        return ExitCodes.Ok;
    }

    private static int Features(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        var image = line.Require(Opt.Image);
        var outDir = line.Require(Opt.PicturesOut);
        var featureSet = line.Get(Opt.FeatureSet);
        var model = line.Get(Opt.Model);
        var written = Pictures.FeaturePictures.Write(image, outDir, featureSet, model);
        foreach (var file in written)
        {
            output.WriteLine($"wrote {TerminalText.Escape(file)}");
        }

        return ExitCodes.Ok;
    }

    private static int DatasetInfo(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        var dataRequest = DataRequestFrom(line);
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

    private static int DatasetSubset(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        var dataPath = line.Require(Opt.Data);
        var outDir = line.Require(Opt.SubsetOut);
        var trainPerClass = line.RequireNumber(Opt.TrainPerClass);
        var testPerClass = line.RequireNumber(Opt.TestPerClass);
        var dataOptions = DataOptionsFrom(line);
        OutputTarget.CheckFolder(outDir);
        OutputTarget.CheckNotInside(outDir, dataPath, "data set");
        var warnings = NewWarnings();
        var data = DatasetLoader.Load(dataPath, dataOptions, warnings);
        DatasetSubsetter.WriteIdxSubset(data, outDir, trainPerClass, testPerClass, dataOptions.Seed, cancellationToken);
        output.WriteLine($"wrote {TerminalText.Escape(Path.GetFullPath(outDir))}");
        return ExitCodes.Ok;
    }

    private static int Cache(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        const double MiB = 1024.0 * 1024;
        var cache = new FeatureCache(line.Get(Opt.CacheDir));
        if (line.Command.Path == "cache clear")
        {
            var cleared = cache.Clear();
            var kept = cleared.FirstForeignItem is { } foreign ? $"; left {cleared.ForeignItems:N0} item(s) the cache did not write, e.g. '{foreign}'" : string.Empty;
            output.WriteLine($"cleared {cleared.Entries:N0} entries ({cleared.Bytes / MiB:F1} MiB) from {cache.Directory}{kept}");
        }
        else
        {
            var stats = cache.Inspect();
            var other = stats.ForeignItems > 0 ? $" ({stats.ForeignItems:N0} other item(s) not counted)" : string.Empty;
            output.WriteLine($"{cache.Directory}: {stats.Entries:N0} entries, {stats.Bytes / MiB:F1} MiB of at most {cache.MaxBytes / MiB:F0} MiB{other}");
        }

        return ExitCodes.Ok;
    }

    /// <summary>The CNN input options; null when none is given (the measured default then applies).</summary>
    private static CnnPreprocessing? CnnPreprocessingFrom(CommandLine line) =>
        line.Given(Opt.InputSize) || line.Given(Opt.Resize) || line.Given(Opt.BackbonePrecision)
            ? CnnPreprocessing.Default with { InputSize = line.Get(Opt.InputSize), ResizeMode = line.Get(Opt.Resize), Precision = line.Get(Opt.BackbonePrecision) }
            : null;

    /// <summary>How the run was asked for, quoted into its report (the words as given).</summary>
    private static string CommandText(CommandLine line) =>
        "pipeline " + string.Join(' ', line.Args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a));

    internal static IPipelineWing ParsePipeline(string option, string name) =>
        PipelineRegistry.TryGet(name, out var pipeline) ? pipeline : throw new UsageException($"--{option} must be {PipelineRegistry.KnownNames}, got '{name}'");

    /// <summary>The spelling of "choose the trainer on the validation split" (<see cref="TrainerChoice.IsAuto"/>) in --trainer and --trainers.</summary>
    internal const string AutoTrainer = "auto";

    /// <summary>A trainer by name, or <see cref="AutoTrainer"/>.</summary>
    internal static TrainerChoice ParseTrainerOrAuto(string option, string name) =>
        new(name.Trim().Equals(AutoTrainer, StringComparison.OrdinalIgnoreCase) ? null : ParseTrainer(option, name));

    /// <summary>
    /// The trainers, the studies (--trainers auto, --learning-curve, --folds) of a compare line. "auto" stands alone:
    /// it already tries every trainer.
    /// </summary>
    private static ComparisonOptions WithStudies(CommandLine line, ComparisonOptions options)
    {
        var trainers = line.Get(Opt.Trainers) ?? line.Get(Opt.TrainerList) ?? [];
        var auto = trainers.Any(t => t.IsAuto);
        if (auto && trainers.Count > 1)
        {
            throw new UsageException($"{(line.Given(Opt.Trainers) ? Opt.Trainers.Flag : Opt.TrainerList.Flag)}: {AutoTrainer} tries every trainer and cannot be combined with trainer names");
        }

        return options with
        {
            Trainers = [.. trainers.Select(t => t.Kind).OfType<TrainerKind>()],
            Studies = new StudyOptions { AutoTrainer = auto, LearningCurve = line.Get(Opt.LearningCurve) ?? [], Folds = line.Get(Opt.Folds) },
        };
    }

    /// <summary>train --trainer auto: the trainer best on the validation split carved from train (the test split unseen), printed with every candidate's figure.</summary>
    private static TrainerKind ChooseTrainer(TrainingOptions options, ImageDataset data, ConsoleProgress progress, TextWriter output, CancellationToken cancellationToken)
    {
        if (!StudyFeatures.Supports(options.Pipeline))
        {
            throw new UsageException($"--trainer {AutoTrainer}: the {options.Pipeline.Name} pipeline cannot featurize images on their own, which choosing on validation needs");
        }

        var selection = TrainerSelector.Select(new StudyFeatures(options, data, new DataWarnings(), progress), TrainerSelector.Candidates(options.Pipeline, data), new DataWarnings(), progress, cancellationToken);
        progress.EndLine();
        output.WriteLine($"choice:   {selection.Chosen}, best on validation ({selection.ValidationCount:N0} training images held out, candidates fitted on {selection.FitCount:N0}): "
            + string.Join(", ", selection.Candidates.Select(c => $"{c.Trainer} {c.ValidationAccuracy:F4}")) + "; refitted on all training images");
        return Trainers.Parse(selection.Chosen);
    }

    internal static TrainerKind ParseTrainer(string option, string name) =>
        Trainers.TryParse(name, out var kind) ? kind : throw new UsageException($"--{option}: unknown trainer '{name}' (known: {Trainers.KnownNames})");

    private static CnnScratchOptions ScratchOptionsFrom(CommandLine line) => new()
    {
        Architecture = line.Get(Opt.Architecture),
        Epochs = line.Get(Opt.Epochs),
        BatchSize = line.Get(Opt.BatchSize),
        LearningRate = line.Get(Opt.LearningRate),
        Patience = line.Get(Opt.Patience),
        Threads = line.Get(Opt.Threads),
    };

    /// <summary>cnn-finetune's options: the shared training options only where given (its defaults differ from cnn-scratch's).</summary>
    private static CnnFinetuneOptions FinetuneOptionsFrom(CommandLine line)
    {
        var defaults = new CnnFinetuneOptions();
        return new()
        {
            InputSize = line.Given(Opt.InputSize) ? line.Get(Opt.InputSize) : null,
            Resize = line.Given(Opt.Resize) ? line.Get(Opt.Resize) : null,
            Epochs = line.Given(Opt.Epochs) ? line.Get(Opt.Epochs) : defaults.Epochs,
            BatchSize = line.Given(Opt.BatchSize) ? line.Get(Opt.BatchSize) : defaults.BatchSize,
            LearningRate = line.Given(Opt.LearningRate) ? line.Get(Opt.LearningRate) : defaults.LearningRate,
            Patience = line.Given(Opt.Patience) ? line.Get(Opt.Patience) : defaults.Patience,
            Threads = line.Get(Opt.Threads),
            TrainedStages = line.Get(Opt.TrainedStages),
            NoFlip = line.Has(Opt.NoFlip),
            MaxMinutes = line.Get(Opt.MaxMinutes),
        };
    }

    internal static string ParseFeatureSet(string name) =>
        FeatureSetPresets.Names.Contains(name) ? name : throw new UsageException($"--feature-set: unknown feature set '{name}' (known: {string.Join(", ", FeatureSetPresets.Names)})");

    private static void RefuseSectionWithoutReadme(CommandLine line, CliOption section)
    {
        if (!line.Given(Opt.Readme))
        {
            line.Refuse([section], "names a section of --readme, which is not given");
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
        TestFraction = line.Get(Opt.TestFraction),
        Seed = line.Get(Opt.Seed),
        MaxTrainPerClass = line.Get(Opt.MaxTrainPerClass),
        MaxTestPerClass = line.Get(Opt.MaxTestPerClass),
        MaxBadFraction = line.Get(Opt.MaxBadFraction),
    };

    /// <summary>The data set a command reads (null path: the embedded one) and its checked options.</summary>
    private sealed record DataRequest(string? Path, DatasetOptions Options);

    private static DataRequest DataRequestFrom(CommandLine line) => new(line.Get(Opt.Data), DataOptionsFrom(line));

    private static string DataPath(DataRequest request) => request.Path is { } path ? EmbeddedDataset.Resolve(path) : EmbeddedDataset.Locate();

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

/// <summary>A --trainer / --trainers entry: a trainer, or (<see cref="Kind"/> null) "auto", chosen on the validation split.</summary>
internal sealed record TrainerChoice(TrainerKind? Kind)
{
    public bool IsAuto => Kind is null;
}
