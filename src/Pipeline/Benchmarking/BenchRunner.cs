using System.Diagnostics;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Cnn;
using ImageWorkbench.Pipeline.Comparison;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Benchmarking;

/// <summary>
/// <c>pipeline bench</c>: what each pipeline costs on this machine, as a user would see it. Two phases, so the
/// peak working set of each pipeline is not inflated by the benchmark's own buffers:
/// <list type="number">
/// <item>per pipeline: train with <see cref="ModelTrainer"/> (CNN feature cache off: a cold, honest figure), load the
/// package with <see cref="ImageClassifier"/>, time predictions with <see cref="ComparisonRunner.MeasurePredictions"/>
/// (the same measurement as <c>compare</c>), read the peak working set;</item>
/// <item>per pipeline: featurization rates over a fixed sample of training images, featurizer alone (on decoded
/// images) and decode + featurize, on one thread and on all threads.</item>
/// </list>
/// Model packages go to a temporary folder that is deleted at the end.
/// </summary>
public static class BenchRunner
{
    public static BenchResult Run(ImageDataset data, BenchOptions options, string command, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(warnings);
        if (options.Pipelines.Count == 0)
        {
            throw new WorkbenchException("no pipeline to benchmark");
        }

        var folder = Directory.CreateTempSubdirectory("image-workbench-bench-");
        try
        {
            var costs = new List<(ModelCosts Costs, ModelMetadata Metadata)>();
            foreach (var pipeline in options.Pipelines)
            {
                cancellationToken.ThrowIfCancellationRequested();
                costs.Add(MeasureModel(data, pipeline, options, Path.Combine(folder.FullName, $"{Name(pipeline)}.zip"), warnings, progress, cancellationToken));
            }

            var results = new List<PipelineBench>();
            foreach (var (model, metadata) in costs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var rates = metadata.PipelineKind == "cnn"
                    ? MeasureCnnFeaturization(data, metadata, options, progress, cancellationToken)
                    : MeasureHandCraftedFeaturization(data, metadata, options, progress, cancellationToken);
                results.Add(Combine(metadata, model, rates));
            }

            var summary = new DatasetSummary(data.Name, data.Location, data.Classes, data.Train.Count, data.Test.Count);
            return new BenchResult(MachineInfo.Current(), command, DateTimeOffset.UtcNow, summary, options, results);
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

    /// <summary>
    /// Images per second of <paramref name="count"/> work items on <paramref name="threads"/> threads: one worker
    /// per thread is created and warmed up before the clock starts (the first one with <see cref="WarmUp.Run"/>:
    /// at least 3 items and <paramref name="warmUpSeconds"/>, then until the JIT is quiet, at most 4x that, cycling
    /// through the items; the others for up to 3 items); threads pull item indices from a shared counter; whole passes over the items
    /// repeat until <paramref name="minSeconds"/> have passed (at least one).
    /// </summary>
    internal static double ImagesPerSecond(int count, int threads, Func<Action<int>> createWorker, double warmUpSeconds, double minSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(createWorker);
        if (count <= 0)
        {
            return double.NaN;
        }

        threads = Math.Max(1, threads);
        var workers = new Action<int>[threads];
        for (var t = 0; t < threads; t++)
        {
            var worker = workers[t] = createWorker();
            var min = TimeSpan.FromSeconds(t == 0 ? warmUpSeconds : 0);
            WarmUp.Run(i => worker(i % count), Math.Min(count, 3), min, 4 * min, cancellationToken);
        }

        long images = 0;
        var stopwatch = Stopwatch.StartNew();
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (threads == 1)
            {
                for (var i = 0; i < count; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    workers[0](i);
                }
            }
            else
            {
                var next = -1;
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken }, t =>
                {
                    var worker = workers[t];
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < count && !cancellationToken.IsCancellationRequested)
                    {
                        worker(i);
                    }
                });
                cancellationToken.ThrowIfCancellationRequested();
            }

            images += count;
        }
        while (stopwatch.Elapsed.TotalSeconds < minSeconds);

        return images / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9);
    }

    private static (ModelCosts, ModelMetadata) MeasureModel(ImageDataset data, PipelineKind pipeline, BenchOptions options, string modelPath, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var trainingOptions = new TrainingOptions
        {
            Pipeline = pipeline,
            Seed = options.Seed,
            MaxBadImageFraction = options.MaxBadImageFraction,
            MaxIterations = options.MaxIterations,
            UseFeatureCache = false,
        };

        var trainWatch = Stopwatch.StartNew();
        var trained = ModelTrainer.TrainAndSave(data, trainingOptions, modelPath, warnings, progress, cancellationToken);
        var trainTotal = trainWatch.Elapsed.TotalSeconds;

        var loadWatch = Stopwatch.StartNew();
        using var classifier = ImageClassifier.Load(modelPath);
        var loadSeconds = loadWatch.Elapsed.TotalSeconds;
        var images = data.Test.Count > 0 ? data.Test : data.Train;
        var timings = ComparisonRunner.MeasurePredictions(classifier, ComparisonRunner.Sample(images, options.LatencySamples), TimeSpan.FromSeconds(options.WarmUpSeconds), progress, cancellationToken);

        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var costs = new ModelCosts(trainTotal, loadSeconds, timings, new FileInfo(modelPath).Length, process.PeakWorkingSet64);
        return (costs, trained.Metadata);
    }

    private static FeaturizeRates MeasureHandCraftedFeaturization(ImageDataset data, ModelMetadata metadata, BenchOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var definition = FeatureSetPresets.Get(metadata.FeatureSet);
        var input = metadata.Input;
        var mode = ModelInputPixels.ParseResizeMode(input.ResizeMode);
        var sample = ComparisonRunner.Sample(data.Train, options.FeaturizeSamples);
        var decoded = Decode(sample, input, mode);
        var length = definition.OutputLength;

        Action<int> Extract()
        {
            var extractor = definition.CreateExtractor();
            var features = new float[length];
            return i => extractor.Extract(decoded[i], features);
        }

        Action<int> DecodeAndExtract()
        {
            var extractor = definition.CreateExtractor();
            var pixels = new float[input.Shape.Length];
            var features = new float[length];
            return i =>
            {
                if (ModelInputPixels.TryDecode(sample[i].Source, input, mode, pixels, out _))
                {
                    extractor.Extract(pixels, features);
                }
            };
        }

        var cores = Environment.ProcessorCount;
        var label = "hand-crafted featurization";
        return new FeaturizeRates(
            decoded.Count,
            Timed($"{label} (1 thread)", () => ImagesPerSecond(decoded.Count, 1, Extract, options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress),
            Timed($"{label} ({cores} threads)", () => ImagesPerSecond(decoded.Count, cores, Extract, options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress),
            cores,
            Timed($"{label} with decoding (1 thread)", () => ImagesPerSecond(sample.Count, 1, DecodeAndExtract, options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress),
            Timed($"{label} with decoding ({cores} threads)", () => ImagesPerSecond(sample.Count, cores, DecodeAndExtract, options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress));
    }

    /// <summary>
    /// One thread: an engine with 1 session x 1 intra-op thread, one caller. All threads: the default engine
    /// (what training uses: 1 session x min(cores, 4) intra-op threads), one caller for the engine alone, and
    /// max(cores, sessions + 1) callers for decode + featurize so decoding overlaps inference, as
    /// <see cref="CnnFeaturizer.FeaturizeAll{T}(ResNet18Featurizer, IReadOnlyList{T}, Func{T, byte[]}, Func{T, Span{float}, bool}, FeatureCache?, IProgress{FeaturizeProgress}?, CancellationToken)"/> does.
    /// </summary>
    private static FeaturizeRates MeasureCnnFeaturization(ImageDataset data, ModelMetadata metadata, BenchOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var prep = CnnPreprocessing.Default with { InputSize = metadata.Input.Width, ResizeMode = ModelInputPixels.ParseResizeMode(metadata.Input.ResizeMode) };
        var input = CnnTraining.InputOf(prep);
        var mode = prep.ResizeMode;
        var sample = ComparisonRunner.Sample(data.Train, options.FeaturizeSamples);
        var decoded = Decode(sample, input, mode);
        var cores = Environment.ProcessorCount;

        Func<Action<int>> Featurize(ResNet18Featurizer engine) => () =>
        {
            var features = new float[ResNet18Featurizer.FeatureLength];
            return i => engine.Featurize(decoded[i], 1, features);
        };

        Func<Action<int>> DecodeAndFeaturize(ResNet18Featurizer engine) => () =>
        {
            var pixels = new float[input.Shape.Length];
            var features = new float[ResNet18Featurizer.FeatureLength];
            return i =>
            {
                if (ModelInputPixels.TryDecode(sample[i].Source, input, mode, pixels, out _))
                {
                    engine.Featurize(pixels, 1, features);
                }
            };
        };

        double oneThread, decodeOneThread, allThreads, decodeAllThreads;
        int threads;
        using (var single = new ResNet18Featurizer(new ResNet18FeaturizerOptions { Preprocessing = prep, Sessions = 1, IntraOpThreads = 1 }))
        {
            oneThread = Timed("CNN featurization (1 thread)", () => ImagesPerSecond(decoded.Count, 1, Featurize(single), options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress);
            decodeOneThread = Timed("CNN featurization with decoding (1 thread)", () => ImagesPerSecond(sample.Count, 1, DecodeAndFeaturize(single), options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress);
        }

        using (var engine = new ResNet18Featurizer(new ResNet18FeaturizerOptions { Preprocessing = prep }))
        {
            threads = engine.Options.Sessions * engine.Options.IntraOpThreads;
            allThreads = Timed($"CNN featurization ({threads} threads)", () => ImagesPerSecond(decoded.Count, engine.Options.Sessions, Featurize(engine), options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress);
            var callers = Math.Max(cores, engine.Options.Sessions + 1);
            decodeAllThreads = Timed($"CNN featurization with decoding ({callers} callers)", () => ImagesPerSecond(sample.Count, callers, DecodeAndFeaturize(engine), options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress);
        }

        return new FeaturizeRates(decoded.Count, oneThread, allThreads, threads, decodeOneThread, decodeAllThreads);
    }

    /// <summary>Decodes the sample once (undecodable images are left out: the training run already reported them).</summary>
    private static List<float[]> Decode(IReadOnlyList<LabeledImage> sample, ModelInput input, ResizeMode mode)
    {
        var decoded = new List<float[]>(sample.Count);
        foreach (var image in sample)
        {
            var pixels = new float[input.Shape.Length];
            if (ModelInputPixels.TryDecode(image.Source, input, mode, pixels, out _))
            {
                decoded.Add(pixels);
            }
        }

        return decoded;
    }

    private static double Timed(string stage, Func<double> measure, IProgress<TrainingProgress>? progress)
    {
        progress?.Report(new TrainingProgress(stage, 0, 1, 0));
        var rate = measure();
        progress?.Report(new TrainingProgress(stage, 1, 1, rate));
        return rate;
    }

    private static PipelineBench Combine(ModelMetadata m, ModelCosts costs, FeaturizeRates rates) => new()
    {
        Pipeline = m.PipelineKind,
        Trainer = m.Trainer,
        FeatureSet = m.FeatureSet,
        FeatureLength = m.FeatureLength,
        FeaturizeSamples = rates.Samples,
        FeaturizeImagesPerSecondOneThread = rates.OneThread,
        FeaturizeImagesPerSecondAllThreads = rates.AllThreads,
        FeaturizeThreads = rates.Threads,
        DecodeFeaturizeImagesPerSecondOneThread = rates.DecodeOneThread,
        DecodeFeaturizeImagesPerSecondAllThreads = rates.DecodeAllThreads,
        TrainCount = m.Training.TrainCount,
        TrainFeaturizeSeconds = m.Training.FeaturizeSeconds,
        TrainSeconds = m.Training.TrainSeconds,
        TrainTotalSeconds = costs.TrainTotalSeconds,
        TestAccuracy = m.Training.TestAccuracy ?? double.NaN,
        ModelLoadSeconds = costs.LoadSeconds,
        PredictSamples = costs.Timings.Count,
        PredictMillisecondsP50 = costs.Timings.MillisecondsP50,
        PredictMillisecondsP95 = costs.Timings.MillisecondsP95,
        BatchImagesPerSecond = costs.Timings.BatchImagesPerSecond,
        AllocatedBytesPerPrediction = costs.Timings.AllocatedBytesPerPrediction,
        ModelBytes = costs.ModelBytes,
        PeakWorkingSetBytes = costs.PeakWorkingSetBytes,
    };

    private static string Name(PipelineKind pipeline) => pipeline == PipelineKind.Cnn ? "cnn" : "handcrafted";

    private sealed record ModelCosts(double TrainTotalSeconds, double LoadSeconds, PredictionTimings Timings, long ModelBytes, long PeakWorkingSetBytes);

    private sealed record FeaturizeRates(int Samples, double OneThread, double AllThreads, int Threads, double DecodeOneThread, double DecodeAllThreads);
}
