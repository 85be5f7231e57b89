using System.Diagnostics;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Measuring;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Benchmarking;

/// <summary>
/// <c>pipeline bench</c>: what each pipeline costs on this machine, as a user would see it. Two phases, so the
/// peak working set of each pipeline is not inflated by the benchmark's own buffers:
/// <list type="number">
/// <item>per pipeline: train with <see cref="ModelTrainer"/> (CNN feature cache off: a cold, honest figure), load the
/// package with <see cref="ImageClassifier"/>, time predictions with <see cref="PredictionTimer.MeasurePredictions"/>
/// (the same measurement as <c>compare</c>), time <c>predict --out</c> over image files written for it
/// (<see cref="FilePredictionProbe"/>), read the peak working set;</item>
/// <item>per pipeline: featurization rates over a fixed sample of training images, featurizer alone (on decoded
/// images) and decode + featurize, on one thread and on all threads: the wing's own probe
/// (<see cref="IPipelineWing.MeasureFeaturization"/>);</item>
/// <item>every feature-set preset's extractor, one thread and all threads, and grey28-v1 against the same features by
/// OpenCV + numpy (<see cref="FeatureSetBench"/>).</item>
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
            var costs = new List<(IPipelineWing Pipeline, ModelCosts Costs, ModelMetadata Metadata)>();
            foreach (var pipeline in options.Pipelines)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (model, metadata) = MeasureModel(data, pipeline, options, Path.Combine(folder.FullName, $"{pipeline.Name}.zip"), warnings, progress, cancellationToken);
                costs.Add((pipeline, model, metadata));
            }

            var results = new List<PipelineBench>();
            var probe = new ProbeSettings(options.FeaturizeSamples, options.WarmUpSeconds, options.MinSecondsPerRate);
            foreach (var (pipeline, model, metadata) in costs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var rates = pipeline.MeasureFeaturization(data, metadata, probe, progress, cancellationToken);
                results.Add(Combine(metadata, model, rates));
            }

            // the backbone against PyTorch's, in the same run, when the CNN is among the benched pipelines
            var backbone = options.Pipelines.Contains(PipelineRegistry.FrozenCnn) ? BackboneBench.Measure(data, probe, progress, cancellationToken) : null;

            // every feature-set preset, whichever pipelines ran; grey28-v1 against OpenCV + numpy right after
            var featureSets = FeatureSetBench.MeasurePresets(data, probe, progress, cancellationToken);
            var openCv = FeatureSetBench.CompareWithOpenCv(data, probe, folder.FullName, progress, cancellationToken);
            var summary = new DatasetSummary(data.Name, data.Location, data.Classes, data.Train.Count, data.Test.Count);
            return new BenchResult(MachineInfo.Current(), command, DateTimeOffset.UtcNow, summary, options, results) { Backbone = backbone, FeatureSets = featureSets, OpenCv = openCv };
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

    private static (ModelCosts, ModelMetadata) MeasureModel(ImageDataset data, IPipelineWing pipeline, BenchOptions options, string modelPath, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
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
        var timings = PredictionTimer.MeasurePredictions(classifier, PredictionTimer.Sample(images, options.LatencySamples), TimeSpan.FromSeconds(options.WarmUpSeconds), progress, cancellationToken);

        var fileRate = FilePredictionProbe.Measure(
            classifier, images, options.FilePredictSamples, Path.Combine(Path.GetDirectoryName(modelPath)!, $"{pipeline.Name}-files"), options.MinSecondsPerRate, cancellationToken);

        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var costs = new ModelCosts(trainTotal, loadSeconds, timings, fileRate, new FileInfo(modelPath).Length, process.PeakWorkingSet64);
        return (costs, trained.Metadata);
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
        TrainImagesPerSecond = m.Extra.TryGetValue("trainImagesPerSecond", out var rate) && double.TryParse(rate, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : double.NaN,
        TestAccuracy = m.Training.TestAccuracy ?? double.NaN,
        ModelLoadSeconds = costs.LoadSeconds,
        PredictSamples = costs.Timings.Count,
        PredictMillisecondsP50 = costs.Timings.MillisecondsP50,
        PredictMillisecondsP95 = costs.Timings.MillisecondsP95,
        BatchImagesPerSecond = costs.Timings.BatchImagesPerSecond,
        FilePredictSamples = costs.FilePredictions.Files,
        FilePredictImagesPerSecond = costs.FilePredictions.ImagesPerSecond,
        AllocatedBytesPerPrediction = costs.Timings.AllocatedBytesPerPrediction,
        ModelBytes = costs.ModelBytes,
        PeakWorkingSetBytes = costs.PeakWorkingSetBytes,
    };

    private sealed record ModelCosts(double TrainTotalSeconds, double LoadSeconds, PredictionTimings Timings, (int Files, double ImagesPerSecond) FilePredictions, long ModelBytes, long PeakWorkingSetBytes);

}
