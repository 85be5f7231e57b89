using System.Globalization;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Measuring;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Benchmarking;

/// <summary>One feature-set preset's extractor alone on decoded images (the bench's sample, stretched to the preset's input).</summary>
/// <param name="FeatureSet">The preset's name.</param>
/// <param name="Input">Its input shape, e.g. <c>28x28x1</c>.</param>
/// <param name="FeatureLength">Features per image.</param>
/// <param name="Samples">Decoded images cycled through.</param>
/// <param name="ImagesPerSecondOneThread">One extractor on one thread.</param>
/// <param name="ImagesPerSecondAllThreads">One extractor per thread on <paramref name="Threads"/> threads.</param>
/// <param name="Threads">Threads of the all-threads rate (the logical cores).</param>
public sealed record FeatureSetSpeed(string FeatureSet, string Input, int FeatureLength, int Samples, double ImagesPerSecondOneThread, double ImagesPerSecondAllThreads, int Threads);

/// <summary>
/// grey28-v1 against the same features computed by OpenCV + numpy, batched (<c>benchmarks/opencv/grey28_features.py</c>),
/// on the same decoded images with the same threads, one right after the other.
/// </summary>
/// <param name="FeatureSet">The preset compared: grey28-v1.</param>
/// <param name="FeatureLength">Its features per image (the script checks it writes as many).</param>
/// <param name="Threads">Threads of both.</param>
/// <param name="Samples">Decoded images both cycle through (the script repeats them to fill its batch).</param>
/// <param name="Batch">Images per OpenCV + numpy call.</param>
/// <param name="ImagesPerSecond">Ours: one extractor per thread.</param>
/// <param name="OpenCvImagesPerSecond">OpenCV + numpy; NaN when not measured.</param>
/// <param name="OpenCv">OpenCV's version, or "not measured: " and the reason.</param>
public sealed record OpenCvComparison(string FeatureSet, int FeatureLength, int Threads, int Samples, int Batch, double ImagesPerSecond, double OpenCvImagesPerSecond, string OpenCv)
{
    /// <summary>Ours / OpenCV + numpy (NaN when OpenCV was not measured).</summary>
    public double SpeedupOverOpenCv => ImagesPerSecond / OpenCvImagesPerSecond;
}

/// <summary>Every preset of <see cref="FeatureSetPresets"/> on one and on all threads, and grey28-v1 against OpenCV + numpy.</summary>
public static class FeatureSetBench
{
    /// <summary>The script bench runs, relative to the repository or to the executable's folder.</summary>
    public const string ScriptPath = "benchmarks/opencv/grey28_features.py";

    /// <summary>
    /// Images per OpenCV + numpy call (the bench's sample repeated), split over the threads. Bigger batches ran faster per
    /// image (2026-12-02, one thread, CPU time, loaded machine: 1,024 images 5.5k img/s, 2,048 8.4k, 4,096 11.0k, 8,192 13.9k),
    /// so the reference gets the largest of those.
    /// </summary>
    public const int OpenCvBatch = 8192;

    private static readonly PythonScript OpenCvScript = new(ScriptPath, "opencv", "OpenCV (cv2) and numpy", "python3-opencv");

    /// <summary>
    /// Each preset's rates over the bench's sample decoded to its input shape, each rate after a warm-up and for at least
    /// half <paramref name="probe"/>'s time (the pipelines' own probes take the full time).
    /// </summary>
    public static IReadOnlyList<FeatureSetSpeed> MeasurePresets(ImageDataset data, ProbeSettings probe, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(probe);
        var cores = Environment.ProcessorCount;
        double warmUp = probe.WarmUpSeconds / 2, seconds = probe.MinSecondsPerRate / 2;
        var speeds = new List<FeatureSetSpeed>();
        foreach (var name in FeatureSetPresets.Names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var definition = FeatureSetPresets.Get(name);
            var decoded = Decode(data, definition, probe.Samples);
            double Rate(int threads) => Throughput.Timed(
                $"{name} features ({threads} thread{(threads == 1 ? string.Empty : "s")})",
                () => Throughput.ExtractorImagesPerSecond(definition, decoded, threads, warmUp, seconds, cancellationToken),
                progress);
            speeds.Add(new FeatureSetSpeed(name, definition.InputShape.ToString(), definition.OutputLength, decoded.Count, Rate(1), Rate(cores), cores));
        }

        return speeds;
    }

    /// <summary>
    /// grey28-v1 on every core, then the OpenCV + numpy script on the same images (written to a file in
    /// <paramref name="folder"/>) with as many threads, each for at least <paramref name="probe"/>'s time (the script 4 s).
    /// </summary>
    public static OpenCvComparison CompareWithOpenCv(ImageDataset data, ProbeSettings probe, string folder, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(probe);
        var definition = FeatureSetPresets.Grey28V1;
        var threads = Environment.ProcessorCount;
        var decoded = Decode(data, definition, probe.Samples);
        var ours = Throughput.Timed(
            $"{definition.Name} features ({threads} threads, against OpenCV)",
            () => Throughput.ExtractorImagesPerSecond(definition, decoded, threads, probe.WarmUpSeconds, probe.MinSecondsPerRate, cancellationToken),
            progress);

        var imagesPath = Path.Combine(folder, "grey28-sample.f32");
        WriteFloats(decoded, imagesPath);
        double seconds = Math.Max(probe.MinSecondsPerRate, 4), warmUp = Math.Max(probe.WarmUpSeconds, 2);
        progress?.Report(new TrainingProgress("OpenCV + numpy grey28-v1 features", 0, 1, 0));
        var (rate, status) = PythonReference.Measure(
            OpenCvScript,
            string.Create(CultureInfo.InvariantCulture, $"--images \"{imagesPath}\" --threads {threads} --batch {OpenCvBatch} --warmup {warmUp} --seconds {seconds}"),
            TimeSpan.FromSeconds(120 + (4 * (seconds + warmUp))),
            cancellationToken);
        progress?.Report(new TrainingProgress("OpenCV + numpy grey28-v1 features", 1, 1, rate));
        return new OpenCvComparison(definition.Name, definition.OutputLength, threads, decoded.Count, OpenCvBatch, ours, rate, status);
    }

    /// <summary>The bench's fixed sample of training images, stretched to the preset's input shape.</summary>
    private static List<float[]> Decode(ImageDataset data, FeatureSetDefinition definition, int samples)
    {
        var shape = definition.InputShape;
        var input = new ModelInput(shape.Width, shape.Height, shape.Channels, nameof(ResizeMode.Stretch), 1f);
        return Throughput.Decode(PredictionTimer.Sample(data.Train, samples), input, ResizeMode.Stretch);
    }

    /// <summary>The images one after the other as little-endian float32 (what the script reads).</summary>
    private static void WriteFloats(IReadOnlyList<float[]> images, string path)
    {
        using var stream = File.Create(path);
        foreach (var image in images)
        {
            stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(image.AsSpan()));
        }
    }
}
