using ImageWorkbench.Pipeline.Comparison;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Features;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary><c>featurize</c>, <c>train --features</c> and <c>compare --features</c>: features computed shard by shard, stored, trained on later.</summary>
internal static partial class Commands
{
    private static CliCommand FeaturizeCommand => new(
        "featurize",
        "Featurizes this process's shard (--shard I/N, assigned by content hash) of a data set into DIR/shard-I-of-N.parquet: path, content hash, label, split and features, with the featurizer named in the file. A complete shard is kept; train --features DIR fits the head on all shards.",
        [Opt.Pipeline, .. Opt.DataOptions, Opt.Shard, Opt.FeaturesOut, Opt.FeatureSet, .. Opt.CnnOptions, Opt.NoCache, Opt.Device, .. Opt.BackboneOptions],
        Featurize) { Required = [Opt.FeaturesOut] };

    private static int Featurize(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        var pipeline = line.Get(Opt.Pipeline) ?? PipelineRegistry.Default;
        RefuseOtherPipelinesOptions(line, pipeline);
        var outDir = line.Require(Opt.FeaturesOut);
        var shard = line.Get(Opt.Shard);
        var dataRequest = DataRequestFrom(line);
        OutputTarget.CheckFolder(outDir);
        OutputTarget.CheckNotInside(outDir, DataPath(dataRequest), "data set");
        var options = TrainingOptionsFrom(line, pipeline, dataRequest);
        options = options with { PipelineOptions = [.. options.PipelineOptions.Select(o => o is CnnPipelineOptions cnn ? cnn with { Device = line.Get(Opt.Device)! } : o)] };
        var warnings = NewWarnings();
        var data = LoadData(dataRequest, warnings);
        var progress = new ConsoleProgress();
        var outcome = ShardFeaturization.Run(data, dataRequest.Options, options, shard, outDir, warnings, progress, cancellationToken);
        progress.EndLine();
        var h = outcome.Header;
        var path = TerminalText.Escape(Path.GetFullPath(outcome.Path));
        output.WriteLine(outcome.AlreadyComplete
            ? $"shard {shard}: {path} is complete ({h.Rows:N0} rows), kept"
            : $"shard {shard}: wrote {path}: {h.Rows:N0} rows ({h.TrainRows:N0} train / {h.TestRows:N0} test, {h.Skipped} skipped) of {data.Train.Count + data.Test.Count:N0} images, {outcome.Images / Math.Max(outcome.Seconds, 1e-9):N1} img/s");
        output.WriteLine($"featurizer: {h.Featurizer.Pipeline} {TerminalText.Escape(h.Featurizer.FeatureSet)} ({h.Featurizer.FeatureLength} values)");
        return ExitCodes.Ok;
    }

    /// <summary><c>train --features DIR</c>: the head on stored features; the data, split and featurizer options are the shards'.</summary>
    private static int TrainFromFeatures(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        line.Refuse([Opt.Data, Opt.Seed, Opt.TestFraction, Opt.MaxTrainPerClass, Opt.MaxTestPerClass, Opt.FeatureSet, .. Opt.CnnOptions, Opt.NoCache, .. Opt.BackboneOptions], "does not apply to train --features (the shards fix the data, split, seed and featurizer)");
        var folder = line.Require(Opt.Features);
        var store = FeatureStore.Open(folder);
        var header = store.Header;
        var pipeline = line.Get(Opt.Pipeline) is { } asked && line.Given(Opt.Pipeline) ? asked : ParsePipeline("pipeline", header.Featurizer.Pipeline);
        var outPath = line.Get(Opt.ModelOut) ?? $"{pipeline.Name}-model.zip";
        OutputTarget.CheckFileWritable(outPath);
        OutputTarget.CheckNotInside(outPath, folder, "feature folder");
        if (line.Get(Opt.Trainer) is { IsAuto: true })
        {
            throw new UsageException("--trainer auto does not apply to train --features yet: name a trainer");
        }

        var options = new TrainingOptions
        {
            Pipeline = pipeline,
            Trainer = line.Get(Opt.Trainer)?.Kind,
            Seed = header.Data.Seed,
            EvaluateOnTest = !line.Has(Opt.NoEval),
            MaxBadImageFraction = line.Get(Opt.MaxBadFraction),
            MaxIterations = line.Get(Opt.MaxIterations),
        };
        var warnings = NewWarnings();
        var progress = new ConsoleProgress();
        var result = FeatureTraining.TrainAndSave(store, options, outPath, warnings, progress, cancellationToken);
        progress.EndLine();
        PrintTrainingResult(output, outPath, result, header.Data.Name, header.Data.Classes.Count, header.Data.TestCount, warnings);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// compare --features: a head per folder of feature shards, the report as after a direct comparison (latency
    /// where the stored test images can be read here). The shards fix the data, split, seed and featurizers.
    /// </summary>
    private static int CompareStoredFeatures(CommandLine line, TextWriter output, string outDir, IReadOnlyList<string> folders, CancellationToken cancellationToken)
    {
        line.Refuse([Opt.Data, Opt.Seed, Opt.TestFraction, Opt.MaxTrainPerClass, Opt.MaxTestPerClass, Opt.Pipelines, Opt.Models, .. Opt.BackboneOptions], "does not apply to compare --features (the shards fix the data, split, seed and pipelines)");
        line.Refuse([Opt.LearningCurve, Opt.Folds], "needs images; compare --features fits heads on stored features only");
        if (line.Given(Opt.TrainerList) && line.Given(Opt.Trainers))
        {
            throw new UsageException("--trainer and --trainers are the same option: give one");
        }

        var options = WithStudies(line, new ComparisonOptions { OutputFolder = outDir, MaxBadImageFraction = line.Get(Opt.MaxBadFraction) });
        if (options.Studies.AutoTrainer)
        {
            throw new UsageException($"--trainers {AutoTrainer} does not apply to compare --features yet: name the trainers");
        }

        var stores = folders.Select(FeatureStore.Open).ToList(); // every folder checked before any work
        foreach (var folder in folders)
        {
            OutputTarget.CheckNotInside(outDir, folder, "feature folder");
        }

        CheckReadmeTarget(line, outDir);
        var readmeSection = line.Get(Opt.CompareSection) ?? "results-" + stores[0].Header.Data.Name;
        if (line.Get(Opt.Readme) is { } readmeToCheck)
        {
            GeneratedSection.Check(readmeToCheck, readmeSection);
        }

        using var staged = StagedFolder.Begin(outDir);
        var warnings = NewWarnings();
        var progress = new ConsoleProgress();
        var result = ComparisonRunner.CompareStoredFeatures(stores, options with { StagedOutput = staged, Studies = new StudyOptions() }, warnings, CommandText(line), progress, cancellationToken);
        progress.EndLine();
        return WriteComparison(line, output, result, staged, NoReportImages.Instance, outDir, readmeSection);
    }

    /// <summary>Options of another pipeline than <paramref name="pipeline"/> are usage errors (<c>--feature-set</c> with <c>--pipeline cnn</c>).</summary>
    private static void RefuseOtherPipelinesOptions(CommandLine line, IPipelineWing pipeline)
    {
        foreach (var other in PipelineRegistry.All.Where(o => o != pipeline))
        {
            var othersOnly = other.OwnOptions.Except(pipeline.OwnOptions);
            line.Refuse(line.Command.Options.Where(o => othersOnly.Contains(o.Name)), $"applies to --pipeline {other.Name} only");
        }

        if (pipeline.TrainsOwnHead)
        {
            line.Refuse(new CliOption[] { Opt.Trainer, Opt.MaxIterations }.Where(line.Command.Options.Contains), $"does not apply to --pipeline {pipeline.Name}: it trains its own head (the network's last layer, end to end with the rest)");
        }
    }
}
