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
    /// through the items; the others for up to 3 items). One thread runs the items in order on the calling thread.
    /// Several threads are dedicated threads started once, released together, each claiming
    /// <see cref="Chunk"/> items at a time from a shared counter (item = counter mod <paramref name="count"/>) until
    /// <paramref name="minSeconds"/> have passed and at least one whole pass is claimed; the rate is the items done
    /// over the time until the last thread finished. (Measured 2026-12-02, 2-core workbench, grey28-v1, 200 images:
    /// a <c>Parallel.For</c> per pass, one <c>Interlocked</c> claim per image, lost the threads' start-up and a claim
    /// per 5 microsecond image.)
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

        return threads == 1 ? OneThread(count, workers[0], minSeconds, cancellationToken) : AllThreads(count, workers, minSeconds, cancellationToken);
    }

    /// <summary>Items each thread claims at once in <see cref="ImagesPerSecond"/>.</summary>
    public const int Chunk = 16;

    private static double OneThread(int count, Action<int> worker, double minSeconds, CancellationToken cancellationToken)
    {
        long images = 0;
        var stopwatch = Stopwatch.StartNew();
        do
        {
            for (var i = 0; i < count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                worker(i);
            }

            images += count;
        }
        while (stopwatch.Elapsed.TotalSeconds < minSeconds);

        return images / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9);
    }

    private static double AllThreads(int count, Action<int>[] workers, double minSeconds, CancellationToken cancellationToken)
    {
        long next = 0, done = 0;
        var stopwatch = new Stopwatch();
        using var start = new ManualResetEventSlim();
        Exception? failure = null;
        var threads = workers.Select(worker => new Thread(() =>
        {
            try
            {
                start.Wait(cancellationToken);
                long mine = 0;
                while (!cancellationToken.IsCancellationRequested)
                {
                    var first = Interlocked.Add(ref next, Chunk) - Chunk;
                    if (first >= count && stopwatch.Elapsed.TotalSeconds >= minSeconds)
                    {
                        break;
                    }

                    for (var k = first; k < first + Chunk; k++)
                    {
                        worker((int)(k % count));
                    }

                    mine += Chunk;
                }

                Interlocked.Add(ref done, mine);
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref failure, ex, null);
            }
        })
        { IsBackground = true, Name = "throughput worker" }).ToList();

        threads.ForEach(t => t.Start());
        stopwatch.Start();
        start.Set();
        threads.ForEach(t => t.Join());
        var seconds = stopwatch.Elapsed.TotalSeconds;
        cancellationToken.ThrowIfCancellationRequested();
        if (failure is not null)
        {
            throw new InvalidOperationException("a throughput worker failed: " + failure.Message, failure);
        }

        return done / Math.Max(seconds, 1e-9);
    }

    /// <summary>
    /// <see cref="ImagesPerSecond"/> of a feature set's extractor over decoded images: one extractor and one feature
    /// buffer per thread, made before the clock starts.
    /// </summary>
    public static double ExtractorImagesPerSecond(FeatureSetDefinition definition, IReadOnlyList<float[]> decoded, int threads, double warmUpSeconds, double minSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(decoded);
        return ImagesPerSecond(decoded.Count, threads, () =>
        {
            var extractor = definition.CreateExtractor();
            var features = new float[definition.OutputLength];
            return i => extractor.Extract(decoded[i], features);
        }, warmUpSeconds, minSeconds, cancellationToken);
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
/// <param name="MinSecondsPerRate">Each rate cycles through the sample until this long has passed (at least one whole pass).</param>
public sealed record ProbeSettings(int Samples, double WarmUpSeconds, double MinSecondsPerRate);

/// <summary>What a pipeline's featurization probe measured, images per second; NaN means not measured.</summary>
    public sealed record FeaturizeRates(int Samples, double OneThread, double AllThreads, int Threads, double DecodeOneThread, double DecodeAllThreads)
    {
        /// <summary>No featurizer apart from the model (a network trained end to end): every rate NaN, null in bench.json.</summary>
        public static FeaturizeRates NotApplicable { get; } = new(0, double.NaN, double.NaN, 0, double.NaN, double.NaN);
    }
