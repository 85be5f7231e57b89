using System.Diagnostics;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Measuring;

/// <summary>What a loaded model costs per prediction, measured the same way for <c>compare</c> and <c>bench</c>.</summary>
public static class PredictionTimer
{
    /// <summary>
    /// The prediction costs of a loaded classifier on <paramref name="samples"/>: warm-up calls (at least 5, cycling
    /// through the samples; with a positive <paramref name="minWarmUp"/>, see <see cref="WarmUp.Run"/>:
    /// .NET's tiered JIT optimises hot code only after a while, so a short warm-up overstates fast models' latency), then each image
    /// predicted once on the calling thread through <see cref="ImageClassifier.Predict(ImageSource)"/> (decode
    /// included) for the latency percentiles and the managed bytes allocated per prediction on that thread; then
    /// the same images on every core (<see cref="Parallel.ForEach{TSource}(IEnumerable{TSource}, ParallelOptions, Action{TSource})"/>)
    /// for the batch throughput. Undecodable images are left out of every figure.
    /// </summary>
    public static PredictionTimings MeasurePredictions(ImageClassifier classifier, IReadOnlyList<LabeledImage> samples, TimeSpan minWarmUp, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(samples);
        var stage = $"timing {classifier.Metadata.PipelineKind} predictions";
        progress?.Report(new TrainingProgress(stage, 0, samples.Count, 0));
        if (samples.Count > 0)
        {
            WarmUp.Run(i => TryPredict(classifier, samples[i % samples.Count]), 5, minWarmUp, 4 * minWarmUp, cancellationToken);
        }

        var latencies = new List<double>(samples.Count);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        foreach (var image in samples)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var start = Stopwatch.GetTimestamp();
            if (TryPredict(classifier, image))
            {
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        var batchWatch = Stopwatch.StartNew();
        var done = 0;
        Parallel.ForEach(samples, new ParallelOptions { CancellationToken = cancellationToken }, image =>
        {
            if (TryPredict(classifier, image))
            {
                Interlocked.Increment(ref done);
            }
        });
        var batchRate = done == 0 ? double.NaN : done / Math.Max(batchWatch.Elapsed.TotalSeconds, 1e-9); // nothing predicted: not measured, not 0 images/s
        progress?.Report(new TrainingProgress(stage, samples.Count, samples.Count, batchRate));

        latencies.Sort();
        return new PredictionTimings(
            latencies.Count,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.95),
            batchRate,
            latencies.Count == 0 ? double.NaN : (double)allocated / latencies.Count);
    }

    private static bool TryPredict(ImageClassifier classifier, LabeledImage image)
    {
        try
        {
            classifier.Predict(image.Source);
            return true;
        }
        catch (ImageDecodeException)
        {
            return false; // already counted as skipped during evaluation
        }
    }

    /// <summary>An evenly spaced, deterministic sample.</summary>
    public static List<LabeledImage> Sample(IReadOnlyList<LabeledImage> images, int count)
    {
        if (images.Count <= count)
        {
            return [.. images];
        }

        var step = (double)images.Count / count;
        return Enumerable.Range(0, count).Select(i => images[(int)(i * step)]).ToList();
    }

    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        // Nearest-rank percentile.
        var rank = (int)Math.Ceiling(p * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }
}

/// <summary>What <see cref="PredictionTimer.MeasurePredictions"/> measured.</summary>
/// <param name="Count">Images predicted one by one (decodable ones).</param>
/// <param name="MillisecondsP50">Median single-image latency, one thread, ms.</param>
/// <param name="MillisecondsP95">95th percentile (nearest rank), ms.</param>
/// <param name="BatchImagesPerSecond">The same images predicted on every core.</param>
/// <param name="AllocatedBytesPerPrediction">Managed bytes allocated on the calling thread per single-image prediction (native ONNX Runtime memory not included).</param>
public sealed record PredictionTimings(int Count, double MillisecondsP50, double MillisecondsP95, double BatchImagesPerSecond, double AllocatedBytesPerPrediction);
