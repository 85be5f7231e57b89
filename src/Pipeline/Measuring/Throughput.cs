using System.Diagnostics;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Measuring;

/// <summary>
/// Featurization rates, the cost probe every pipeline runs for <c>pipeline bench</c>: images per second of a
/// worker per thread over a fixed, decoded sample.
/// </summary>
public static class Throughput
{
    /// <summary>
    /// Images per second of <paramref name="count"/> work items on <paramref name="threads"/> threads: one worker
    /// per thread is created and warmed up before the clock starts (the first one with <see cref="WarmUp.Run"/>:
    /// at least 3 items and <paramref name="warmUpSeconds"/>, then until the JIT is quiet, at most 4x that, cycling
    /// through the items; the others for up to 3 items); threads pull item indices from a shared counter; whole passes over the items
    /// repeat until <paramref name="minSeconds"/> have passed (at least one).
    /// </summary>
    public static double ImagesPerSecond(int count, int threads, Func<Action<int>> createWorker, double warmUpSeconds, double minSeconds, CancellationToken cancellationToken)
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

    /// <summary>Decodes the sample once (undecodable images are left out: the training run already reported them).</summary>
    public static List<float[]> Decode(IReadOnlyList<LabeledImage> sample, ModelInput input, ResizeMode mode)
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

    public static double Timed(string stage, Func<double> measure, IProgress<TrainingProgress>? progress)
    {
        progress?.Report(new TrainingProgress(stage, 0, 1, 0));
        var rate = measure();
        progress?.Report(new TrainingProgress(stage, 1, 1, rate));
        return rate;
    }
}

/// <summary>How long a featurization probe spends and on how many images.</summary>
/// <param name="Samples">Training images (evenly spaced, deterministic) in the fixed sample.</param>
/// <param name="WarmUpSeconds">Minimum warm-up before each rate (<see cref="WarmUp.Run"/>).</param>
/// <param name="MinSecondsPerRate">Each rate repeats whole passes over the sample until this long has passed.</param>
public sealed record ProbeSettings(int Samples, double WarmUpSeconds, double MinSecondsPerRate);

/// <summary>What a pipeline's featurization probe measured, images per second; NaN means not measured.</summary>
    public sealed record FeaturizeRates(int Samples, double OneThread, double AllThreads, int Threads, double DecodeOneThread, double DecodeAllThreads)
    {
        /// <summary>No featurizer apart from the model (a network trained end to end): every rate NaN, null in bench.json.</summary>
        public static FeaturizeRates NotApplicable { get; } = new(0, double.NaN, double.NaN, 0, double.NaN, double.NaN);
    }
