using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.OnnxRuntime;

namespace Pipeline.Cnn;

/// <summary>
/// Settings of <see cref="ResNet18Featurizer"/>. Defaults were picked by measurement on the 2-core
/// workbench machine at 224x224 (see <c>docs</c> on each property and the table below); other engineers were
/// building at the same time, so the load average during the runs was 2.8-7 and single figures vary by up
/// to 2x. Measured with a scratch program that calls <c>InferenceSession.Run</c> in a loop on pre-bound
/// OrtValues after 3 warm-up runs, 6-8 s per configuration, images per second:
/// <list type="table">
/// <item><term>shipped two-model path (preprocess session + ResNet18 session), 1 thread</term><description>42.6 (load 2.8); the ML.NET DnnFeaturizeImage default was 12-15 per ENVIRONMENT.md</description></item>
/// <item><term>one session, preprocessing in C#, ORT_ENABLE_BASIC, 1 thread</term><description>32.0 (load 2.8)</description></item>
/// <item><term>same, ORT_ENABLE_EXTENDED, 1 thread</term><description>20.4 (load 3.6)</description></item>
/// <item><term>same, ORT_ENABLE_ALL (NCHWc layout), 1 thread</term><description>44.1 (load 3.4); 34.3 / 41.5 (load 5.6-6.2)</description></item>
/// <item><term>ORT_ENABLE_ALL, 2 intra-op threads, batch 1</term><description>79.8 (load 3.2); 13-21 (load 6)</description></item>
/// <item><term>ORT_ENABLE_ALL, 2 sessions in parallel, 1 thread each</term><description>68.6 (load 3.1); 22-35 (load 6.7)</description></item>
/// <item><term>ORT_ENABLE_ALL, 2 threads, batch 4 / batch 8 (symbolic batch)</term><description>18-28 / 15-19 (load 4.9-7): batching is slower</description></item>
/// </list>
/// </summary>
public sealed record ResNet18FeaturizerOptions
{
    /// <summary>Input size and channel order (the resize mode does not concern the engine). Default 224, RGB.</summary>
    public CnnPreprocessing Preprocessing { get; init; } = CnnPreprocessing.Default;

    /// <summary>
    /// Number of ONNX Runtime sessions (engine slots) that can run at the same time; concurrent callers
    /// each take a free slot. One session with 2 threads was the fastest on an idle 2-core machine.
    /// </summary>
    public int Sessions { get; init; } = 1;

    /// <summary>Intra-op threads per session. Default: 2 (measured 79.8 vs 44.1 img/s with 1 on an idle-ish machine).</summary>
    public int IntraOpThreads { get; init; } = 2;

    /// <summary>Images per <c>Run</c> call. Default 1: batching measured slower on this CPU.</summary>
    public int MaxBatch { get; init; } = 1;

    /// <summary>ORT graph optimisation level. Default ORT_ENABLE_ALL (includes the NCHWc layout transform), the fastest measured.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>Let idle intra-op threads spin. Spinning helps on an idle machine and hurts when cores are shared.</summary>
    public bool AllowSpinning { get; init; } = true;

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
public sealed class ResNet18Featurizer : IDisposable
{
    private readonly ConcurrentBag<Slot> _free = new();
    private readonly SemaphoreSlim _available;
    private readonly List<Slot> _all = new();
    private readonly float[] _negMean;
    private readonly int _plane;
    private bool _disposed;

    public ResNet18Featurizer(ResNet18FeaturizerOptions? options = null)
    {
        Options = options ?? new ResNet18FeaturizerOptions();
        Options.Validate();
        int size = Options.Preprocessing.InputSize;
        _plane = size * size;
        InputLength = 3 * _plane;
        _negMean = ResNet18Model.LoadMeanImage(size);
        TensorPrimitives.Negate(_negMean, _negMean);

        bool symbolicBatch = Options.MaxBatch > 1;
        byte[] model = ResNet18Model.BuildNetwork(size, withPreprocessing: false, symbolicBatch);
        string? cachedModel = PrepareOptimizedModelCache(model, out string? saveTo);
        _available = new SemaphoreSlim(Options.Sessions, Options.Sessions);
        try
        {
            for (int i = 0; i < Options.Sessions; i++)
            {
                using var so = CreateSessionOptions(i == 0 ? saveTo : null);
                var session = cachedModel is not null ? new InferenceSession(cachedModel, so) : new InferenceSession(model, so);
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
    }

    public ResNet18FeaturizerOptions Options { get; }

    public CnnPreprocessing Preprocessing => Options.Preprocessing;

    /// <summary>Floats in one input image: 3 x size x size.</summary>
    public int InputLength { get; }

    /// <summary>Floats in one feature vector: 512.</summary>
    public static int FeatureLength => ResNet18Model.FeatureLength;

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
        }

        public float[] Input { get; }

        public float[] Output { get; }

        public void Run(int count)
        {
            if (count == _maxBatch)
            {
                _session.Run(_runOptions, InputNames, [_fullInput], OutputNames, [_fullOutput]);
                return;
            }

            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Input.AsMemory(0, count * 3 * _size * _size), [count, 3, _size, _size]);
            using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Output.AsMemory(0, count * ResNet18Model.FeatureLength), [count, ResNet18Model.FeatureLength, 1, 1]);
            _session.Run(_runOptions, InputNames, [input], OutputNames, [output]);
        }

        public void Dispose()
        {
            _fullInput.Dispose();
            _fullOutput.Dispose();
            _runOptions.Dispose();
            _session.Dispose();
        }
    }
}
