using Microsoft.ML.OnnxRuntime;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>
/// The fast engine over an <see cref="OnnxBackbone"/>'s graph for training and evaluation: one ONNX Runtime session, its
/// input and output bound once to pinned buffers (no allocation per image), one image per run; concurrent callers take
/// turns (their decoding still overlaps the network). The saved model runs the same graph through ML.NET's ONNX transform.
/// </summary>
public sealed class OnnxBackboneFeaturizer : ICnnFeatureEngine, IDisposable
{
    private readonly Lock _gate = new();
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtValue _inputValue;
    private readonly OrtValue _outputValue;
    private readonly OrtIoBinding _binding;
    private readonly float[] _input;
    private readonly float[] _output;
    private bool _disposed;

    /// <param name="backbone">The loaded backbone.</param>
    /// <param name="threads">ONNX Runtime intra-op threads (default: the cores, at most 2; spinning off, as for ResNet18).</param>
    public OnnxBackboneFeaturizer(OnnxBackbone backbone, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        OnnxRuntimeTelemetry.TurnOff();
        Backbone = backbone;
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads ?? Math.Clamp(Environment.ProcessorCount, 1, 2),
            InterOpNumThreads = 1,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _session = new InferenceSession(backbone.Graph, options);
        _input = GC.AllocateArray<float>(backbone.InputLength, pinned: true);
        _output = GC.AllocateArray<float>(backbone.FeatureLength, pinned: true);
        _inputValue = OrtValue.CreateTensorValueFromMemory(_input, [1, backbone.Channels, backbone.Height, backbone.Width]);
        _outputValue = OrtValue.CreateTensorValueFromMemory(_output, [backbone.FeatureLength]);
        _binding = _session.CreateIoBinding();
        _binding.BindInput(OnnxBackbone.PixelsName, _inputValue);
        _binding.BindOutput(OnnxBackbone.FeaturesName, _outputValue);
    }

    public OnnxBackbone Backbone { get; }

    public string Id => Backbone.Id;

    public string DisplayName => "ONNX backbone";

    public int InputLength => Backbone.InputLength;

    public int FeatureLength => Backbone.FeatureLength;

    public int Sessions => 1;

    public void Featurize(ReadOnlySpan<float> images, int count, Span<float> features)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (images.Length != count * InputLength || features.Length != count * FeatureLength)
        {
            throw new ArgumentException($"expected {count} images of {InputLength} floats and room for {count * FeatureLength} feature floats");
        }

        lock (_gate)
        {
            for (int i = 0; i < count; i++)
            {
                images.Slice(i * InputLength, InputLength).CopyTo(_input);
                _session.RunWithBinding(_runOptions, _binding);
                _output.CopyTo(features.Slice(i * FeatureLength, FeatureLength));
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _binding.Dispose();
        _inputValue.Dispose();
        _outputValue.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
