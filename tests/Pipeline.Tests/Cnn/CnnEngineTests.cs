using Microsoft.ML.OnnxRuntime;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;

namespace ImageWorkbench.Pipeline.Tests.Cnn;

/// <summary>One shared default engine for the engine tests (loading a session takes about a second).</summary>
public sealed class EngineFixture : IDisposable
{
    public ResNet18Featurizer Engine { get; } = new(new ResNet18FeaturizerOptions { Sessions = 2, IntraOpThreads = 1 });

    public void Dispose() => Engine.Dispose();
}

public class CnnEngineTests : IClassFixture<EngineFixture>
{
    private readonly ResNet18Featurizer _engine;

    public CnnEngineTests(EngineFixture fixture) => _engine = fixture.Engine;

    /// <summary>A planar RGB 0..1 image: smooth gradients per channel plus seeded noise.</summary>
    internal static float[] SyntheticImage(int size, int seed)
    {
        var rng = new Random(seed);
        var image = new float[3 * size * size];
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < size; y++)
            {
                for (int x = 0; x < size; x++)
                {
                    float v = (c == 0 ? x : c == 1 ? y : x + y) / (float)(2 * size);
                    image[(c * size * size) + (y * size) + x] = Math.Clamp(v + (0.3f * (float)rng.NextDouble()), 0f, 1f);
                }
            }
        }

        return image;
    }

    /// <summary>The shipped two-model path: ResNetPreprocess.onnx (0..255 RGB) then ResNet18.onnx, unmodified.</summary>
    internal static float[] ReferenceFeatures(float[] rgb01)
    {
        var x255 = rgb01.Select(v => v * 255f).ToArray();
        using var prep = new InferenceSession(ResNet18Model.LocatePreprocess());
        using var net = new InferenceSession(ResNet18Model.LocateNetwork());
        using var input = OrtValue.CreateTensorValueFromMemory(x255, [1, 3, 224, 224]);
        using var ro = new RunOptions();
        using var pre = prep.Run(ro, [ResNet18Model.PreprocessInputName], [input], [ResNet18Model.PreprocessOutputName]);
        using var output = net.Run(ro, [ResNet18Model.NetworkInputName], [pre[0]], [ResNet18Model.NetworkOutputName]);
        return output[0].GetTensorDataAsSpan<float>().ToArray();
    }

    internal static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }

    [Fact]
    public void Output_has_512_values_and_is_deterministic()
    {
        var image = SyntheticImage(224, 1);
        var a = _engine.Featurize(image);
        var b = _engine.Featurize(image);
        Assert.Equal(512, a.Length);
        Assert.Equal(a, b);
        Assert.All(a, v => Assert.True(float.IsFinite(v) && v >= 0, "pooled ReLU outputs are finite and non-negative"));
        Assert.True(a.Count(v => v > 0) > 100, "most features are active on a textured image");
    }

    [Fact]
    public void Engine_equals_the_shipped_two_model_onnx_path()
    {
        var image = SyntheticImage(224, 2);
        var reference = ReferenceFeatures(image);
        var features = _engine.Featurize(image);
        Assert.True(MaxAbsDiff(reference, features) < 1e-4f, $"max diff {MaxAbsDiff(reference, features)}");

        // and the swap matters: feeding the planes reversed gives different features
        var reversed = new float[image.Length];
        for (int c = 0; c < 3; c++)
        {
            image.AsSpan((2 - c) * 224 * 224, 224 * 224).CopyTo(reversed.AsSpan(c * 224 * 224));
        }

        Assert.True(MaxAbsDiff(reference, _engine.Featurize(reversed)) > 1e-2f);
    }

    [Fact]
    public void Batch_output_equals_single_outputs()
    {
        using var batched = new ResNet18Featurizer(new ResNet18FeaturizerOptions { MaxBatch = 4, IntraOpThreads = 1 });
        const int count = 6; // one full batch of 4 and a partial one of 2
        var images = new float[count * batched.InputLength];
        for (int i = 0; i < count; i++)
        {
            SyntheticImage(224, 10 + i).CopyTo(images, i * batched.InputLength);
        }

        var features = new float[count * 512];
        batched.Featurize(images, count, features);
        for (int i = 0; i < count; i++)
        {
            var single = _engine.Featurize(images.AsSpan(i * batched.InputLength, batched.InputLength));
            Assert.True(MaxAbsDiff(single, features.AsSpan(i * 512, 512)) < 1e-4f, $"image {i}");
        }
    }

    [Fact]
    public void Concurrent_callers_get_the_same_features_as_sequential_calls()
    {
        var images = Enumerable.Range(0, 6).Select(i => SyntheticImage(224, 20 + i)).ToArray();
        var expected = images.Select(i => _engine.Featurize(i)).ToArray();
        var actual = new float[images.Length][];
        Parallel.For(0, images.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => actual[i] = _engine.Featurize(images[i]));
        for (int i = 0; i < images.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }

    [Fact]
    public void Global_pool_rewrite_keeps_224_output_and_runs_at_128()
    {
        var image = SyntheticImage(224, 3);
        var expected = _engine.Featurize(image);
        using (var session = new InferenceSession(ResNet18Model.BuildNetwork(224, withPreprocessing: true, forceGlobalPool: true)))
        {
            using var input = OrtValue.CreateTensorValueFromMemory(image, [1, 3, 224, 224]);
            using var ro = new RunOptions();
            using var output = session.Run(ro, [ResNet18Model.FusedInputName], [input], [ResNet18Model.NetworkOutputName]);
            Assert.True(MaxAbsDiff(expected, output[0].GetTensorDataAsSpan<float>()) < 1e-4f);
        }

        using var small = new ResNet18Featurizer(new ResNet18FeaturizerOptions { Preprocessing = new CnnPreprocessing(128), IntraOpThreads = 1 });
        var features = small.Featurize(SyntheticImage(128, 3));
        Assert.Equal(512, features.Length);
        Assert.All(features, v => Assert.True(float.IsFinite(v)));
        Assert.Throws<WorkbenchException>(() => new CnnPreprocessing(112).Validate());
    }

    [Fact]
    public void Optimized_model_cache_is_written_once_and_reused()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cnn-ortcache-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new ResNet18FeaturizerOptions { IntraOpThreads = 1, OptimizedModelCacheDirectory = dir };
            var image = SyntheticImage(224, 4);
            float[] first;
            using (var engine = new ResNet18Featurizer(options))
            {
                first = engine.Featurize(image);
            }

            var files = Directory.GetFiles(dir);
            Assert.Single(files);
            Assert.EndsWith(".onnx", files[0], StringComparison.Ordinal);
            using var cached = new ResNet18Featurizer(options);
            Assert.True(MaxAbsDiff(first, cached.Featurize(image)) < 1e-4f);
            Assert.True(MaxAbsDiff(first, _engine.Featurize(image)) < 1e-4f);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Missing_model_file_is_a_workbench_error_naming_the_file()
    {
        var ex = Assert.Throws<WorkbenchException>(() => ResNet18Model.Locate("/nonexistent/DnnImageModels/ResNet18Onnx/ResNet18.onnx"));
        Assert.Contains("/nonexistent/DnnImageModels/ResNet18Onnx/ResNet18.onnx", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_input_length_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => _engine.Featurize(new float[100]));
    }
}
