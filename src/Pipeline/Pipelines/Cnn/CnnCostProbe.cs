using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Measuring;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Pipelines.Cnn;

/// <summary>What CNN featurization costs on this machine, for <c>pipeline bench</c>.</summary>
internal static class CnnCostProbe
{
    /// <summary>
    /// One thread: an engine with 1 session x 1 intra-op thread, one caller. All threads: the default engine
    /// (what training uses: 1 session x min(cores, 4) intra-op threads), one caller for the engine alone, and
    /// max(cores, sessions + 1) callers for decode + featurize so decoding overlaps inference, as
    /// <see cref="CnnFeaturizer.FeaturizeAll{T}(ICnnFeatureEngine, IReadOnlyList{T}, Func{T, byte[]}, Func{T, Span{float}, bool}, FeatureCache?, IProgress{FeaturizeProgress}?, CancellationToken)"/> does.
    /// </summary>
    public static FeaturizeRates Measure(ImageDataset data, ModelMetadata metadata, ProbeSettings options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var prep = CnnPreprocessing.Default with { InputSize = metadata.Input.Width, ResizeMode = ModelInputPixels.ParseResizeMode(metadata.Input.ResizeMode) };
        var input = CnnTraining.InputOf(prep);
        var mode = prep.ResizeMode;
        var sample = PredictionTimer.Sample(data.Train, options.Samples);
        var decoded = Throughput.Decode(sample, input, mode);
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
            oneThread = Throughput.Timed("CNN featurization (1 thread)", () => Throughput.ImagesPerSecond(decoded.Count, 1, Featurize(single), options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress);
            decodeOneThread = Throughput.Timed("CNN featurization with decoding (1 thread)", () => Throughput.ImagesPerSecond(sample.Count, 1, DecodeAndFeaturize(single), options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress);
        }

        using (var engine = new ResNet18Featurizer(new ResNet18FeaturizerOptions { Preprocessing = prep }))
        {
            threads = engine.Options.Sessions * engine.Options.IntraOpThreads;
            allThreads = Throughput.Timed($"CNN featurization ({threads} threads)", () => Throughput.ImagesPerSecond(decoded.Count, engine.Options.Sessions, Featurize(engine), options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress);
            var callers = Math.Max(cores, engine.Options.Sessions + 1);
            decodeAllThreads = Throughput.Timed($"CNN featurization with decoding ({callers} callers)", () => Throughput.ImagesPerSecond(sample.Count, callers, DecodeAndFeaturize(engine), options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress);
        }

        return new FeaturizeRates(decoded.Count, oneThread, allThreads, threads, decodeOneThread, decodeAllThreads);
    }
}
