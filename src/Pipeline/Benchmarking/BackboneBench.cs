using System.Globalization;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Measuring;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Benchmarking;

/// <summary>
/// The ResNet18 backbone against PyTorch's in the same run: the engine alone on decoded images (one session,
/// <see cref="Threads"/> intra-op threads, batch 1, 224) with the float network and with the int8 one, and
/// torchvision's <c>resnet18(weights=None)</c> (random weights: speed only, nothing downloaded) with the same threads,
/// batch and input, run by <c>benchmarks/pytorch/resnet18_speed.py</c> when a <c>python3</c> with torch and torchvision
/// is there (with <c>OMP_WAIT_POLICY=PASSIVE</c>: idle threads sleep in both); otherwise <see cref="PyTorch"/> says why it was not measured.
/// </summary>
/// <param name="CpuModel">The CPU's model name (null when unknown).</param>
/// <param name="CpuVectorExtensions">The x86 vector extensions that matter for the kernels, from <c>/proc/cpuinfo</c>: e.g. <c>avx2 avx512f avx512_vnni</c>.</param>
/// <param name="Threads">Intra-op threads of each engine and of PyTorch.</param>
/// <param name="Samples">Decoded training images the engines cycle through.</param>
/// <param name="FloatImagesPerSecond">The float network (the default).</param>
/// <param name="Int8ImagesPerSecond">The int8 network (<c>--backbone-precision int8</c>).</param>
/// <param name="PyTorchImagesPerSecond">PyTorch's ResNet18; NaN when not measured.</param>
/// <param name="PyTorch">PyTorch's version, or "not measured: " and the reason.</param>
public sealed record BackboneBench(
    string? CpuModel,
    string CpuVectorExtensions,
    int Threads,
    int Samples,
    double FloatImagesPerSecond,
    double Int8ImagesPerSecond,
    double PyTorchImagesPerSecond,
    string PyTorch)
{
    /// <summary>Batch size of every measurement.</summary>
    public int Batch => 1;

    /// <summary>Input side of every measurement.</summary>
    public int InputSize => ResNet18Model.NativeInputSize;

    /// <summary>Float engine / PyTorch (NaN when PyTorch was not measured).</summary>
    public double FloatSpeedupOverPyTorch => FloatImagesPerSecond / PyTorchImagesPerSecond;

    /// <summary>Int8 engine / PyTorch (NaN when PyTorch was not measured).</summary>
    public double Int8SpeedupOverPyTorch => Int8ImagesPerSecond / PyTorchImagesPerSecond;

    /// <summary>The script bench runs, relative to the repository or to the executable's folder.</summary>
    public const string ScriptPath = "benchmarks/pytorch/resnet18_speed.py";

    private static readonly string[] Extensions = ["avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8"];

    /// <summary>Measures float, int8, PyTorch, one after the other, each warmed up and timed for at least <paramref name="probe"/>'s time.</summary>
    public static BackboneBench Measure(ImageDataset data, ProbeSettings probe, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(probe);
        int threads = Math.Clamp(Environment.ProcessorCount, 1, 4);
        var prep = CnnPreprocessing.Default;
        var input = new ModelInput(prep.InputSize, prep.InputSize, 3, prep.ResizeMode.ToString(), 1f);
        var decoded = Throughput.Decode(PredictionTimer.Sample(data.Train, probe.Samples), input, prep.ResizeMode);

        double Rate(CnnPrecision precision)
        {
            using var engine = new ResNet18Featurizer(new ResNet18FeaturizerOptions { Preprocessing = prep with { Precision = precision }, Sessions = 1, IntraOpThreads = threads });
            return Throughput.Timed($"ResNet18 backbone, {precision.ToString().ToLowerInvariant()} ({threads} threads)", () => Throughput.ImagesPerSecond(decoded.Count, 1, () =>
            {
                var features = new float[ResNet18Featurizer.FeatureLength];
                return i => engine.Featurize(decoded[i], 1, features);
            }, probe.WarmUpSeconds, probe.MinSecondsPerRate, cancellationToken), progress);
        }

        double floatRate = Rate(CnnPrecision.Float);
        double int8Rate = Rate(CnnPrecision.Int8);
        cancellationToken.ThrowIfCancellationRequested();
        var (torchRate, torch) = MeasurePyTorch(threads, Math.Max(probe.MinSecondsPerRate, 4), Math.Max(probe.WarmUpSeconds, 2), cancellationToken);
        return new BackboneBench(MachineInfo.ReadCpuModel("/proc/cpuinfo"), ReadExtensions("/proc/cpuinfo"), threads, decoded.Count, floatRate, int8Rate, torchRate, torch);
    }

    /// <summary>The <see cref="Extensions"/> the first <c>flags</c> line of a cpuinfo file names, space-separated ("unknown" without one).</summary>
    internal static string ReadExtensions(string cpuinfoPath)
    {
        try
        {
            var line = File.Exists(cpuinfoPath) ? File.ReadLines(cpuinfoPath).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) : null;
            if (line is null)
            {
                return "unknown";
            }

            var flags = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            var present = Extensions.Where(flags.Contains).ToList();
            return present.Count == 0 ? "none of " + string.Join(' ', Extensions) : string.Join(' ', present);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    private static (double Rate, string Status) MeasurePyTorch(int threads, double seconds, double warmUp, CancellationToken cancellationToken) =>
        PythonReference.Measure(
            PyTorchScript,
            string.Create(CultureInfo.InvariantCulture, $"--threads {threads} --batch 1 --size {ResNet18Model.NativeInputSize} --warmup {warmUp} --seconds {seconds}"),
            TimeSpan.FromSeconds(120 + (4 * (seconds + warmUp))),
            cancellationToken);

    private static readonly PythonScript PyTorchScript = new(ScriptPath, "torch", "torch and torchvision", "python3-torch python3-torchvision");
}
