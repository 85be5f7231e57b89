using System.Diagnostics;
using Microsoft.ML;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Features;
using ImageWorkbench.Pipeline.Measuring;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Files;
using ImageWorkbench.Runtime.Models;
using ImageWorkbench.Runtime.Decoding;

namespace ImageWorkbench.Pipeline.Comparison;

/// <summary>What a comparison runs: which pipelines, which trainers, where the models go.</summary>
public sealed record ComparisonOptions
{
    /// <summary>The pipelines to train, in order; <see cref="PipelineRegistry.RunByDefault"/> by default.</summary>
    public IReadOnlyList<IPipelineWing> Pipelines { get; init; } = PipelineRegistry.RunByDefault;

    /// <summary>Trainers to run on every pipeline; empty uses each pipeline's default.</summary>
    public IReadOnlyList<TrainerKind> Trainers { get; init; } = [];

    public int Seed { get; init; } = 42;

    /// <summary>Folder for the trained model packages.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>
    /// When set, the models are written into this staged folder (which the caller commits with the report, so a failed
    /// run changes nothing) instead of straight into <see cref="OutputFolder"/>; the report names their final paths.
    /// </summary>
    public StagedFolder? StagedOutput { get; init; }

    /// <summary>Subfolder of the output the models go into (one per data set when several are compared); empty: the output itself.</summary>
    public string ModelSubfolder { get; init; } = "";

    /// <summary>Test images timed one by one for the latency percentiles.</summary>
    public int LatencySamples { get; init; } = 200;

    public double MaxBadImageFraction { get; init; } = 0.01;

    /// <summary>Trainer choice on validation, learning curves, folds (<see cref="StudyRunner"/>); none by default.</summary>
    public StudyOptions Studies { get; init; } = new();

    /// <summary>Pipelines' own options given to every run (e.g. the CNN's <c>--backbone</c>); empty: every pipeline's defaults.</summary>
    public IReadOnlyList<IPipelineOptions> PipelineOptions { get; init; } = [];
}

/// <summary>
/// Trains and evaluates each pipeline on the same split with the same seed (or evaluates given models on the same
/// test data) and measures what each costs, producing the <see cref="ComparisonResult"/> the reports render.
/// </summary>
public static class ComparisonRunner
{
    public static ComparisonResult TrainAndCompare(ImageDataset data, ComparisonOptions options, DataWarnings warnings, string command, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        if (options.StagedOutput is null)
        {
            Directory.CreateDirectory(Path.Combine(options.OutputFolder, options.ModelSubfolder));
        }

        var stopwatch = Stopwatch.StartNew();
        var runs = new List<PipelineRun>();
        var trainers = options.Trainers.Count == 0 ? [null] : options.Trainers.Select(t => (TrainerKind?)t).ToArray();
        var studies = new StudyRunner(data, options, progress, cancellationToken);
        // A pipeline that trains its own head runs once, whatever the trainers (IPipelineWing.TrainsOwnHead).
        foreach (var (pipeline, trainer) in options.Pipelines.SelectMany(p => (p.TrainsOwnHead ? [null] : trainers).Select(t => (p, t))))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var trainingOptions = new TrainingOptions { Pipeline = pipeline, Trainer = trainer ?? studies.ChooseTrainer(pipeline), Seed = options.Seed, MaxBadImageFraction = options.MaxBadImageFraction, PipelineOptions = options.PipelineOptions };
            var modelFile = Path.Combine(options.ModelSubfolder, trainer is null || trainers.Length == 1 ? $"{pipeline.Name}.zip" : $"{pipeline.Name}-{Trainers.Name(trainer!.Value)}.zip");
            var (modelPath, finalModelPath) = ModelPaths(options, modelFile);
            var result = ModelTrainer.TrainAndSave(data, trainingOptions, modelPath, warnings, progress, cancellationToken);
            var test = result.Test ?? throw new DatasetException($"{data.Location}: no test images to compare on");
            var training = result.Metadata.Training;
            var featurizeRate = training.TrainCount / Math.Max(training.FeaturizeSeconds, 1e-9);
            var cacheHits = result.Metadata.Extra.TryGetValue("featureCacheHits", out var hits) ? int.Parse(hits, System.Globalization.CultureInfo.InvariantCulture) : 0;

            // The trained chain is saved; Measure reloads it as an app would. Free this one (a CNN chain holds an
            // ONNX Runtime session) and the training data first, so the runs do not stack up in the peak.
            (result.Model as IDisposable)?.Dispose();
            ReleaseMemory();
            runs.Add(Measure(modelPath, test, featurizeRate, training.TrainSeconds, data.Test, options, progress, cancellationToken) with { FeatureCacheHits = cacheHits, ModelPath = Path.GetFullPath(finalModelPath), TrainAccuracy = training.TrainAccuracy });
            ReleaseMemory();
        }

        var studied = studies.Finish(runs);
        return Finish(data, runs, command, options, stopwatch) with { Studies = studied };
    }

    /// <summary>
    /// <c>compare --features</c>: a head per feature-shard folder (x trainer) fitted on the stored rows, no image decoded,
    /// evaluated on the stored test rows. Every folder must hold the same data split (the first odd one is named), so the
    /// pipelines meet on the same test images as in a direct run. Latency and throughput are timed on the test images'
    /// stored names, which are files for a folder data set; where they cannot be read here (IDX data, another machine's
    /// paths) those figures are left out (not measured). Studies need images and do not run.
    /// </summary>
    public static ComparisonResult CompareStoredFeatures(IReadOnlyList<FeatureStore> stores, ComparisonOptions options, DataWarnings warnings, string command, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stores);
        ArgumentNullException.ThrowIfNull(options);
        if (stores.Count == 0)
        {
            throw new WorkbenchException("no feature folder to compare");
        }

        var first = stores[0];
        foreach (var store in stores.Skip(1))
        {
            if (store.Header.DataKey() != first.Header.DataKey())
            {
                throw new WorkbenchException($"{store.Folder}: its shards hold another data split than {first.Folder} ({store.Header.Data.Name}, {store.Header.Data.TrainCount} + {store.Header.Data.TestCount} images, seed {store.Header.Data.Seed} against {first.Header.Data.Name}, {first.Header.Data.TrainCount} + {first.Header.Data.TestCount}, seed {first.Header.Data.Seed}); featurize every pipeline from the same data with the same split options");
            }
        }

        var stopwatch = Stopwatch.StartNew();
        var runs = new List<PipelineRun>();
        var trainers = options.Trainers.Count == 0 ? [null] : options.Trainers.Select(t => (TrainerKind?)t).ToArray();
        ImageDataset? data = null;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (store, trainer) in stores.SelectMany(s => trainers.Select(t => (s, t))))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var pipeline = PipelineRegistry.TryGet(store.Header.Featurizer.Pipeline, out var wing)
                ? wing
                : throw new WorkbenchException($"{store.Folder}: holds features of pipeline '{store.Header.Featurizer.Pipeline}', which this build does not know");
            var trainingOptions = new TrainingOptions { Pipeline = pipeline, Trainer = trainer, Seed = store.Header.Data.Seed, MaxBadImageFraction = options.MaxBadImageFraction };
            var stem = trainers.Length == 1 ? pipeline.Name : $"{pipeline.Name}-{Trainers.Name(trainer!.Value)}";
            var modelFile = Path.Combine(options.ModelSubfolder, UniqueName(names, stem) + ".zip");
            var (modelPath, finalModelPath) = ModelPaths(options, modelFile);
            var trained = FeatureTraining.TrainAndSaveWithSplit(store, trainingOptions, modelPath, warnings, progress, cancellationToken);
            data ??= trained.Data;
            var result = trained.Result;
            var test = result.Test ?? throw new DatasetException($"{store.Folder}: no test rows to compare on");
            var training = result.Metadata.Training;
            (result.Model as IDisposable)?.Dispose();
            ReleaseMemory();
            var readable = trained.Data.Test.Where(i => i.Source.Path is { } path && File.Exists(path)).ToList();
            // The featurization rate is the featurize run's, not measured here (reading shards is not featurizing).
            runs.Add(Measure(modelPath, test, double.NaN, training.TrainSeconds, readable, options, progress, cancellationToken)
                with { ModelPath = Path.GetFullPath(finalModelPath), TrainAccuracy = training.TrainAccuracy });
            ReleaseMemory();
        }

        return Finish(data!, runs, command, options, stopwatch);
    }

    /// <summary>Where a model is written now (the staged folder, if any) and where it will be once the run is committed.</summary>
    private static (string Written, string Final) ModelPaths(ComparisonOptions options, string modelFile)
    {
        var written = options.StagedOutput?.Stage(modelFile) ?? Path.Combine(options.OutputFolder, modelFile);
        return (written, options.StagedOutput?.Final(modelFile) ?? written);
    }

    /// <summary><paramref name="stem"/>, or stem-2, stem-3, ... when two folders hold the same pipeline's features (other feature sets).</summary>
    private static string UniqueName(HashSet<string> taken, string stem)
    {
        var name = stem;
        for (var n = 2; !taken.Add(name); n++)
        {
            name = $"{stem}-{n}";
        }

        return name;
    }

    /// <summary>Evaluates saved packages on the same test images (featurization and training figures come from their metadata).</summary>
    public static ComparisonResult CompareModels(IReadOnlyList<string> modelPaths, ImageDataset data, ComparisonOptions options, DataWarnings warnings, string command, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(modelPaths);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var images = data.Test.Count > 0 ? data.Test : data.Train;
        var stopwatch = Stopwatch.StartNew();
        var runs = new List<PipelineRun>();
        foreach (var path in modelPaths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (metadata, metrics) = Evaluator.EvaluatePackage(path, data, images, warnings, progress, cancellationToken);
            var training = metadata.Training;
            runs.Add(Measure(path, metrics, training.TrainCount / Math.Max(training.FeaturizeSeconds, 1e-9), training.TrainSeconds, images, options, progress, cancellationToken) with { TrainAccuracy = training.TrainAccuracy });
        }

        return Finish(data, runs, command, options, stopwatch);
    }

    /// <summary>
    /// Latency: single images through <see cref="ImageClassifier"/> (decode included, as an app sees it), one thread,
    /// after warm-up. Throughput: the same images on every core.
    /// </summary>
    private static PipelineRun Measure(string modelPath, ClassificationMetrics metrics, double featurizeRate, double trainSeconds, IReadOnlyList<LabeledImage> testImages, ComparisonOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        using var classifier = ImageClassifier.Load(modelPath);
        var timings = PredictionTimer.MeasurePredictions(classifier, PredictionTimer.Sample(testImages, options.LatencySamples), TimeSpan.FromSeconds(2), progress, cancellationToken);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var m = classifier.Metadata;
        PipelineRegistry.TryGet(m.PipelineKind, out var wing); // a package from a pipeline this build does not know is still compared
        return new PipelineRun(
            m.PipelineKind,
            m.Trainer,
            m.FeatureSet,
            metrics,
            featurizeRate,
            trainSeconds,
            timings.MillisecondsP50,
            timings.MillisecondsP95,
            timings.BatchImagesPerSecond,
            new FileInfo(modelPath).Length,
            process.PeakWorkingSet64,
            Path.GetFullPath(modelPath),
            DisplayName: wing?.DisplayName ?? string.Empty,
            ComparisonRank: wing?.ComparisonRank ?? 0)
        {
            FirstLayer = Pictures.KernelPictures.TryReadFirstLayer(modelPath) is { } kernels ? new FirstLayer(kernels, m.Input) : null,
        };
    }

    private static ComparisonResult Finish(ImageDataset data, List<PipelineRun> runs, string command, ComparisonOptions options, Stopwatch stopwatch)
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return new ComparisonResult(Summary(data), runs, command, MachineDescription(), DateTimeOffset.UtcNow, options.Seed, stopwatch.Elapsed.TotalSeconds, process.PeakWorkingSet64);
    }

    /// <summary>
    /// Returns the memory of a finished run to the system. The GC keeps a big heap committed after a run (the
    /// hand-crafted features of full Fashion-MNIST are 440 MB, held twice while L-BFGS trains); without this, the
    /// next run's ONNX session start came on top of it and the whole comparison peaked near 2 GiB.
    /// </summary>
    private static void ReleaseMemory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    private static DatasetSummary Summary(ImageDataset data) => new(data.Name, data.Location, data.Classes, data.Train.Count, data.Test.Count);

    public static string MachineDescription()
    {
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return $"{Environment.ProcessorCount} cores, {memory:F0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }
}
