using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.OnnxRuntime;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>
/// Settings of <see cref="ResNet18Featurizer"/>. Defaults were picked by measurement at 224x224 on the 2-core
/// workbench machine while other engineers were building on it (load average 3-16, so figures swing by 2x;
/// each configuration was run 2-3 times, interleaved). Scratch program: <c>InferenceSession.Run</c> in a loop
/// on pre-bound OrtValues, 3 warm-up runs, 6-8 s per configuration. "CPU" = images per CPU-second of the
/// process, "best" = fastest single run; both are far less sensitive to the load than wall-clock img/s.
/// <list type="table">
/// <item><term>shipped two-model path (ResNetPreprocess + ResNet18 sessions), ORT_ENABLE_ALL, 1 thread</term>
/// <description>35-45 img/s; 42-44 img/CPU-s; best 21 ms (ENVIRONMENT.md's baseline of ~25 img/s used default settings)</description></item>
/// <item><term>one session, preprocessing folded into C#, ORT_ENABLE_BASIC, 1 thread</term><description>32 img/s (load 2.8)</description></item>
/// <item><term>same, ORT_ENABLE_EXTENDED, 1 thread</term><description>20 img/s (load 3.6)</description></item>
/// <item><term>same, ORT_ENABLE_ALL (adds the NCHWc layout transform), 1 thread</term>
/// <description>25-44 img/s; 40-44 img/CPU-s; best 21-22 ms (46-48 img/s per core)</description></item>
/// <item><term>ORT_ENABLE_ALL, 1 session, 2 intra-op threads</term>
/// <description>79.8 (load 3.2), 76.3 (load 4.5), 59 (load 5.9) img/s; best 10.9-12.1 ms (83-92 img/s); but 11-21 img/s at
/// load 6-9: its two threads synchronise every layer and collapse when a core is taken. Spinning off: 23-43 under load.</description></item>
/// <item><term>ORT_ENABLE_ALL, 2 sessions run in parallel, 1 thread each</term>
/// <description>68.6 (load 3.1), 43-51 (load 4.4-8.4), 22-35 (load 6.7) img/s; 40-42 img/CPU-s, the most efficient</description></item>
/// <item><term>batch 4 / 8 (symbolic batch, or fixed by a free-dimension override), 2 threads</term>
/// <description>15-28 img/s, 33 img/CPU-s: batching is slower on this CPU</description></item>
/// <item><term>set_denormal_as_zero</term><description>no gain (37 img/CPU-s)</description></item>
/// <item><term>end to end, <c>CnnFeaturizer.FeaturizeAll</c> on 563 Caltech JPEGs (SkiaSharp decode + resize, 3.8 ms/image)</term>
/// <description>2 sessions x 1 thread 45.1 / 36.0; 1 session x 2 threads 39.8 / 30.9; same without spinning 35.8 / 38.6 img/s (load 3.8-4.5)</description></item>
/// <item><term>int8 QDQ network (<see cref="CnnPrecision.Int8"/>, <see cref="ResNet18Int8"/>), ORT_ENABLE_ALL, 1 thread, load 23-26 (2026-12-02)</term>
/// <description>120 img/CPU-s against 38 for float in the same minutes (3.1x; ONNX Runtime fuses the QDQ groups into u8s8
/// QLinearConv, AVX-512 VNNI here); best 11.7 ms vs 33.9 ms; batch 4: 132 vs 37 img/CPU-s, so batching helps int8 by
/// about 10 % and float not at all</description></item>
/// <item><term>optimised-model cache (<see cref="OptimizedModelCacheDirectory"/>)</term>
/// <description>session start 1.1-1.8 s with it vs 1.4-1.5 s without (first start in a process ~4.3 s either way): no real gain, off by default</description></item>
/// </list>
/// Later paired runs (same minutes, alternating): load 2.5-3.3: 1 session x 2 threads 80.0 / 43.1 / 25.7 img/s,
/// 2 sessions x 1 thread 57.5 / 65.7 / 44.2; load 5-6: 1 x 2 spinning 26-44, 1 x 2 without spinning 33-43, 2 x 1 29-48.
/// The CPU is an AMD EPYC with AVX-512; one thread does 42-45 img/CPU-s (21-22 ms per image) whatever the load,
/// so 2 cores cannot exceed about 85-90 img/s with this fp32 graph; the rest is lost to sharing the cores.
/// End to end, FeaturizeAll on the 563 JPEGs at load 10-11: 1 session x 2 threads spinning 20.1 / 17.2 img/s,
/// without spinning 37.2 / 38.8, 2 sessions x 1 thread 38.0 / 37.7. Engine only, load 6.5-7.9: 1 x 2 without spinning
/// 39.3 / 43.2, spinning 26.2 / 26.5, 2 x 1 40.2 / 42.0 img/s.
/// <para>Defaults: one session using all cores (at most 4), spinning off. Spinning on is the fastest when the cores
/// are free (76-80 img/s, best run 10.4-10.9 ms) but collapses to 11-28 img/s as soon as anything else runs,
/// including our own decoder threads; spinning off matched the robust 2 x 1 configuration under load (33-43 img/s)
/// and its fastest single runs (12.7 ms, i.e. about 79 img/s) suggest it reaches the 70 img/s target when the
/// cores are free; that was not measured as throughput (the machine was never idle while it was tried).
/// Set <see cref="AllowSpinning"/> for a dedicated idle machine.</para>
/// </summary>
public sealed record ResNet18FeaturizerOptions
{
    /// <summary>Input size and channel order (the resize mode does not concern the engine). Default 224, RGB.</summary>
    public CnnPreprocessing Preprocessing { get; init; } = CnnPreprocessing.Default;

    /// <summary>
    /// Number of ONNX Runtime sessions (engine slots) that can run at the same time; concurrent callers each
    /// take a free slot, a single caller uses one. Default 1 (each session holds its own copy of the weights:
    /// measured 226 MB resident for one session, 381 MB for two, after GC).
    /// </summary>
    public int Sessions { get; init; } = 1;

    /// <summary>Intra-op threads per session. Default: the number of cores, at most 4 (see the table above).</summary>
    public int IntraOpThreads { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>Where the network runs: the CPU (default) or a CUDA GPU (<see cref="CnnDevice"/>, opt-in).</summary>
    public CnnDevice Device { get; init; } = CnnDevice.Cpu;

    /// <summary>Images per <c>Run</c> call. Default 1: batching measured slower on this CPU.</summary>
    public int MaxBatch { get; init; } = 1;

    /// <summary>ORT graph optimisation level. Default ORT_ENABLE_ALL (includes the NCHWc layout transform), the fastest measured.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>Let idle intra-op threads spin. Default false: spinning helps a little on an idle machine and halves the speed when cores are shared.</summary>
    public bool AllowSpinning { get; init; }

    /// <summary>
    /// Folder to keep the optimised model in (<c>SessionOptions.OptimizedModelFilePath</c>) so later starts skip
    /// the graph rewrite; null (the default) disables it. The file name carries a hash of everything that
    /// shapes the optimised graph (model variant, optimisation level, ORT version, CPU model).
    /// </summary>
    public string? OptimizedModelCacheDirectory { get; init; }

    internal void Validate()
    {
        Preprocessing.Validate();
        if (Sessions is < 1 or > 64 || IntraOpThreads is < 1 or > 256 || MaxBatch is < 1 or > 256)
        {
            throw new WorkbenchException($"invalid featurizer options: sessions {Sessions}, threads {IntraOpThreads}, batch {MaxBatch}");
        }
    }
}

/// <summary>
/// Fast ResNet18 image featurizer over ONNX Runtime: planar RGB float images of
/// <see cref="CnnPreprocessing.InputSize"/> squared, values <b>0..1</b>, to 512 floats (the global pooling
/// layer <c>Pooling395_Output_0</c>). One session per engine slot, created once and reused; the shipped
/// preprocessing graph is folded into C# (scale to 0..255, RGB to BGR, minus the mean image, one
/// <see cref="TensorPrimitives.MultiplyAdd(ReadOnlySpan{float}, float, ReadOnlySpan{float}, Span{float})"/>
/// per plane into a pinned buffer that an <see cref="OrtValue"/> wraps without copying), so one session runs.
/// Thread-safe: concurrent callers take free slots (<see cref="ResNet18FeaturizerOptions.Sessions"/>) and
/// wait when all are busy. Do not call <see cref="Dispose"/> while calls are in flight.
/// </summary>
public sealed class ResNet18Featurizer : ICnnFeatureEngine, IDisposable
{
    private readonly ConcurrentBag<Slot> _free = new();
    private readonly SemaphoreSlim _available;
    private readonly List<Slot> _all = new();
    private readonly float[] _negMean;
    private readonly int _plane;
    private bool _disposed;

    public ResNet18Featurizer(ResNet18FeaturizerOptions? options = null)
    {
        OnnxRuntimeTelemetry.TurnOff(); // before the first call into ONNX Runtime below
        Options = options ?? new ResNet18FeaturizerOptions();
        Options.Validate();
        int size = Options.Preprocessing.InputSize;
        _plane = size * size;
        InputLength = 3 * _plane;
        _negMean = ResNet18Model.LoadMeanImage(size);
        TensorPrimitives.Negate(_negMean, _negMean);

        bool symbolicBatch = Options.MaxBatch > 1;

        // At 224 with batch 1 the shipped graph needs no rewrite, and ONNX Runtime reads the (hash-checked) packaged
        // file itself: no 64 MB managed copy, no temp copy. Measured (session alone, peak / after malloc_trim):
        // from the path 265 / 133 MB, from the same bytes in a managed array 388 / 195 MB, from the rewritten bytes
        // 490-520 / 327 MB. Arena, memory-pattern and prepacking switches changed these by less than the noise.
        bool int8 = Options.Preprocessing.Precision == CnnPrecision.Int8;
        bool shippedGraph = size == ResNet18Model.NativeInputSize && !symbolicBatch && !int8 && Options.OptimizedModelCacheDirectory is null;
        string? networkPath = shippedGraph ? ResNet18Model.LocateVerifiedNetwork() : null;
        byte[]? model = shippedGraph ? null
            : int8 ? ResNet18Int8.BuildNetwork(size, symbolicBatch)
            : ResNet18Model.BuildNetwork(size, withPreprocessing: false, symbolicBatch);
        string? saveTo = null;
        string? cachedModel = model is null ? null : PrepareOptimizedModelCache(model, out saveTo);
        _available = new SemaphoreSlim(Options.Sessions, Options.Sessions);
        NativeHeap.BeginBuild();
        try
        {
            for (int i = 0; i < Options.Sessions; i++)
            {
                using var so = CreateSessionOptions(i == 0 ? saveTo : null);
                var session = cachedModel is not null ? new InferenceSession(cachedModel, so)
                    : networkPath is not null ? new InferenceSession(networkPath, so)
                    : new InferenceSession(model!, so);
                var slot = new Slot(session, Options.MaxBatch, size);
                _all.Add(slot);
                _free.Add(slot);
                if (i == 0 && saveTo is not null && cachedModel is null)
                {
                    PublishOptimizedModel(saveTo);
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        finally
        {
            NativeHeap.EndBuild();
        }
    }

    public ResNet18FeaturizerOptions Options { get; }

    public CnnPreprocessing Preprocessing => Options.Preprocessing;

    /// <summary>Floats in one input image: 3 x size x size.</summary>
    public int InputLength { get; }

    /// <summary>Floats in one feature vector: 512.</summary>
    public static int FeatureLength => ResNet18Model.FeatureLength;

    string ICnnFeatureEngine.Id => Preprocessing.Id;

    string ICnnFeatureEngine.DisplayName => "ResNet18";

    int ICnnFeatureEngine.FeatureLength => ResNet18Model.FeatureLength;

    int ICnnFeatureEngine.Sessions => Options.Sessions;

    /// <summary>Features of one image: <paramref name="image"/> is planar RGB 0..1 of <see cref="InputLength"/> floats.</summary>
    public float[] Featurize(ReadOnlySpan<float> image)
    {
        var features = new float[FeatureLength];
        Featurize(image, 1, features);
        return features;
    }

    /// <summary>
    /// Features of <paramref name="count"/> images stored one after another in <paramref name="images"/>
    /// (count x <see cref="InputLength"/>) into <paramref name="features"/> (count x 512). Runs on one slot in
    /// chunks of <see cref="ResNet18FeaturizerOptions.MaxBatch"/>; call from several threads to use several slots.
    /// </summary>
    public void Featurize(ReadOnlySpan<float> images, int count, Span<float> features)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (images.Length != count * InputLength)
        {
            throw new ArgumentException($"expected {count} images of {InputLength} floats ({count * InputLength}), got {images.Length}", nameof(images));
        }

        if (features.Length != count * FeatureLength)
        {
            throw new ArgumentException($"expected {count * FeatureLength} feature floats, got {features.Length}", nameof(features));
        }

        if (count == 0)
        {
            return;
        }

        _available.Wait();
        if (!_free.TryTake(out var slot))
        {
            _available.Release();
            throw new InvalidOperationException("featurizer slot pool is inconsistent");
        }

        try
        {
            for (int done = 0; done < count; done += Options.MaxBatch)
            {
                int n = Math.Min(Options.MaxBatch, count - done);
                for (int i = 0; i < n; i++)
                {
                    Preprocess(images.Slice((done + i) * InputLength, InputLength), slot.Input.AsSpan(i * InputLength, InputLength));
                }

                slot.Run(n);
                slot.Output.AsSpan(0, n * FeatureLength).CopyTo(features.Slice(done * FeatureLength, n * FeatureLength));
            }
        }
        finally
        {
            _free.Add(slot);
            _available.Release();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var slot in _all)
        {
            slot.Dispose();
        }

        _available?.Dispose();
    }

    /// <summary>Planar RGB 0..1 to what <c>Input247</c> wants: 0..255, BGR, minus the mean image.</summary>
    private void Preprocess(ReadOnlySpan<float> rgb01, Span<float> destination)
    {
        bool swap = Options.Preprocessing.ChannelOrder == CnnChannelOrder.Rgb;
        for (int c = 0; c < 3; c++)
        {
            int source = swap ? 2 - c : c;
            TensorPrimitives.MultiplyAdd(rgb01.Slice(source * _plane, _plane), 255f, _negMean.AsSpan(c * _plane, _plane), destination.Slice(c * _plane, _plane));
        }
    }

    private SessionOptions CreateSessionOptions(string? optimizedModelPath)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = Options.OptimizationLevel,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = Options.IntraOpThreads,
            InterOpNumThreads = 1,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        so.AddSessionConfigEntry("session.intra_op.allow_spinning", Options.AllowSpinning ? "1" : "0");
        try
        {
            Options.Device.AppendTo(so);
        }
        catch
        {
            so.Dispose();
            throw;
        }

        if (optimizedModelPath is not null)
        {
            so.OptimizedModelFilePath = optimizedModelPath + ".tmp";
        }

        return so;
    }

    /// <summary>Returns the cached optimised model's path when it exists; otherwise where to save one (or null).</summary>
    private string? PrepareOptimizedModelCache(byte[] model, out string? saveTo)
    {
        saveTo = null;
        if (Options.OptimizedModelCacheDirectory is not { } dir)
        {
            return null;
        }

        var key = new StringBuilder();
        key.Append(Convert.ToHexString(SHA256.HashData(model))).Append('|').Append(Options.OptimizationLevel)
            .Append('|').Append(OrtEnv.Instance().GetVersionString()).Append('|').Append(CpuModel());
        string name = $"resnet18-{Options.Preprocessing.InputSize}-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())))[..16].ToLowerInvariant()}.onnx";
        string path = Path.Combine(dir, name);
        if (File.Exists(path))
        {
            return path;
        }

        Directory.CreateDirectory(dir);
        saveTo = path;
        return null;
    }

    private static void PublishOptimizedModel(string path)
    {
        try
        {
            File.Move(path + ".tmp", path, overwrite: true);
        }
        catch (IOException)
        {
            // another process published it first, or the folder is read-only: the cache is only an optimisation
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) ?? "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>One session with its pinned input and output buffers and the OrtValues over them.</summary>
    private sealed class Slot : IDisposable
    {
        private static readonly string[] InputNames = [ResNet18Model.NetworkInputName];
        private static readonly string[] OutputNames = [ResNet18Model.NetworkOutputName];
        private readonly InferenceSession _session;
        private readonly RunOptions _runOptions = new();
        private readonly OrtValue _fullInput;
        private readonly OrtValue _fullOutput;

        // Input and output bound once: a full-batch run (every run at the default batch of 1) passes no names or
        // arrays, so it allocates nothing per image (Run with name lists converts them to native strings each call).
        private readonly OrtIoBinding _fullBinding;
        private readonly int _maxBatch;
        private readonly int _size;

        public Slot(InferenceSession session, int maxBatch, int size)
        {
            _session = session;
            _maxBatch = maxBatch;
            _size = size;
            Input = GC.AllocateArray<float>(maxBatch * 3 * size * size, pinned: true);
            Output = GC.AllocateArray<float>(maxBatch * ResNet18Model.FeatureLength, pinned: true);
            _fullInput = OrtValue.CreateTensorValueFromMemory(Input, [maxBatch, 3, size, size]);
            _fullOutput = OrtValue.CreateTensorValueFromMemory(Output, [maxBatch, ResNet18Model.FeatureLength, 1, 1]);
            _fullBinding = session.CreateIoBinding();
            _fullBinding.BindInput(InputNames[0], _fullInput);
            _fullBinding.BindOutput(OutputNames[0], _fullOutput);
        }

        public float[] Input { get; }

        public float[] Output { get; }

        public void Run(int count)
        {
            if (count == _maxBatch)
            {
                _session.RunWithBinding(_runOptions, _fullBinding);
                return;
            }

            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Input.AsMemory(0, count * 3 * _size * _size), [count, 3, _size, _size]);
            using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Output.AsMemory(0, count * ResNet18Model.FeatureLength), [count, ResNet18Model.FeatureLength, 1, 1]);
            _session.Run(_runOptions, InputNames, [input], OutputNames, [output]);
        }

        public void Dispose()
        {
            _fullBinding.Dispose();
            _fullInput.Dispose();
            _fullOutput.Dispose();
            _runOptions.Dispose();
            _session.Dispose();
        }
    }
}
