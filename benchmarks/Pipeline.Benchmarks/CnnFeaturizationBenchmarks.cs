using BenchmarkDotNet.Attributes;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Runtime.Cnn;

namespace ImageWorkbench.Pipeline.Benchmarks;

/// <summary>
/// <see cref="ResNet18Featurizer"/> alone (no decode) on fixed pseudo-random 224x224 RGB images: one <c>Run</c> of
/// <see cref="Batch"/> images per call (<see cref="ResNet18FeaturizerOptions.MaxBatch"/> = Batch), default threads
/// (1 session x min(cores, 4) intra-op threads). Time per call; divide by Batch for time per image.
/// </summary>
[MemoryDiagnoser]
public class CnnFeaturizationBenchmarks
{
    private ResNet18Featurizer? _engine;
    private float[] _images = [];
    private float[] _features = [];

    [Params(1, 4)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = new ResNet18Featurizer(new ResNet18FeaturizerOptions { MaxBatch = Batch });
        var random = new Random(42);
        _images = new float[Batch * _engine.InputLength];
        for (var i = 0; i < _images.Length; i++)
        {
            _images[i] = (float)random.NextDouble();
        }

        _features = new float[Batch * ResNet18Featurizer.FeatureLength];
    }

    [Benchmark(Description = "ResNet18Featurizer.Featurize (224x224, batch per call)")]
    public void Featurize() => _engine!.Featurize(_images, Batch, _features);

    [GlobalCleanup]
    public void Cleanup() => _engine?.Dispose();
}
