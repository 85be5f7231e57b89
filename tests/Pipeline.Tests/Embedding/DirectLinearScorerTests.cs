using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime.HandCrafted;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;

namespace ImageWorkbench.Pipeline.Tests.Embedding;

/// <summary>
/// The direct scorer of linear hand-crafted models must give exactly what ML.NET's engine gives (predict and evaluate
/// would otherwise disagree on near ties), be used only for the chains it understands, and refuse to be used when it
/// differs from the engine by as little as one bit.
/// </summary>
public sealed class DirectLinearScorerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("direct-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("fashion-mnist-mini", "lbfgs")]
    [InlineData("fashion-mnist-mini", "sdca")]
    [InlineData("caltech101-mini", "lbfgs")]
    public void Linear_heads_score_directly_and_equal_the_engine_bit_for_bit_on_every_test_image(string dataset, string trainer)
    {
        var modelPath = Train(dataset, trainer);
        using var classifier = ImageClassifier.Load(modelPath);
        Assert.True(classifier.ScoresDirectly, $"{dataset} {trainer}: expected the direct scorer");

        var ml = new MLContext(seed: 0);
        var package = ModelPackage.Load(ml, modelPath);
        using var engine = ml.Model.CreatePredictionEngine<PixelsRow, ScoreRow>(package.Model, inputSchemaDefinition: ModelInputPixels.PixelsSchema(package.Metadata.Input));
        var mode = ModelInputPixels.ParseResizeMode(package.Metadata.Input.ResizeMode);
        var data = DatasetLoader.Load(EmbeddedDataset.Locate(dataset));
        var compared = 0;
        foreach (var image in data.Test)
        {
            var pixels = new float[package.Metadata.Input.Shape.Length];
            Assert.True(ModelInputPixels.TryDecode(image.Source, package.Metadata.Input, mode, pixels, out var error), error);
            var expected = engine.Predict(new PixelsRow { Pixels = pixels }).Score;
            var scores = classifier.PredictPixels(pixels).Scores.ToDictionary(p => p.Key, p => p.Value);
            for (var c = 0; c < classifier.Classes.Count; c++)
            {
                Assert.True(
                    BitConverter.SingleToInt32Bits(expected[c]) == BitConverter.SingleToInt32Bits(scores[classifier.Classes[c]]),
                    $"{image.Source.Name}, class {classifier.Classes[c]}: engine {expected[c]:R}, direct {scores[classifier.Classes[c]]:R}");
            }

            compared++;
        }

        Assert.True(compared >= 100, $"only {compared} test images");
    }

    [Fact]
    public void Other_heads_keep_the_engine_and_still_predict()
    {
        var modelPath = Train("fashion-mnist-mini", "lightgbm");
        using var classifier = ImageClassifier.Load(modelPath);
        Assert.False(classifier.ScoresDirectly);
        Assert.Null(DirectLinearScorer.TryCreate(ModelPackage.Load(new MLContext(seed: 0), modelPath).Model));
        var prediction = classifier.PredictPixels(new float[classifier.Metadata.Input.Shape.Length]);
        Assert.Equal(classifier.Classes.Count, prediction.Scores.Count);
    }

    [Fact]
    public void A_scorer_one_bit_away_from_the_engine_is_not_used()
    {
        var modelPath = Train("fashion-mnist-mini", "lbfgs");
        var ml = new MLContext(seed: 0);
        var package = ModelPackage.Load(ml, modelPath);
        var direct = DirectLinearScorer.TryCreate(package.Model);
        Assert.NotNull(direct);
        using var engine = ml.Model.CreatePredictionEngine<PixelsRow, ScoreRow>(package.Model, inputSchemaDefinition: ModelInputPixels.PixelsSchema(package.Metadata.Input));
        float[] Engine(float[] pixels) => (float[])engine.Predict(new PixelsRow { Pixels = pixels }).Score.Clone();

        Assert.True(direct.Agrees(Engine, package.Metadata.Input.Scale));
        var calls = 0;
        Assert.False(direct.Agrees(
            pixels =>
            {
                var scores = Engine(pixels);
                if (++calls == 3)
                {
                    scores[1] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(scores[1]) + 1); // one ulp, on the third probe only
                }

                return scores;
            },
            package.Metadata.Input.Scale));
    }

    /// <summary>
    /// The sparse sum against ML.NET's own routine (internal to Microsoft.ML.CpuMath, found by reflection: if an upgrade
    /// renames it, this says so) on rows of every length up to 2,000, including the short ones it sums one by one.
    /// </summary>
    [Fact]
    public void The_sparse_sum_equals_CpuMath_s_bit_for_bit()
    {
        var method = System.Reflection.Assembly.Load("Microsoft.ML.CpuMath").GetType("Microsoft.ML.Internal.CpuMath.CpuMathUtils")
            ?.GetMethod("DotProductSparse", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic);
        Assert.NotNull(method);
        var cpuMath = method.CreateDelegate<SparseDotRoutine>();
        if (!System.Runtime.Intrinsics.X86.Avx.IsSupported)
        {
            return; // CpuMath sums with SSE then, which SparseDot does not reproduce: the probes at load keep the engine
        }

        var random = new Random(11);
        for (var trial = 0; trial < 2000; trial++)
        {
            var length = random.Next(2, 2000);
            var dense = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
            var indices = Enumerable.Range(0, length).Where(_ => random.NextDouble() < 0.6).ToArray();
            if (indices.Length == 0 || indices.Length >= length)
            {
                continue;
            }

            var values = indices.Select(_ => (float)(random.NextDouble() * 3)).ToArray();
            var expected = cpuMath(dense, values, indices, indices.Length);
            var actual = DirectLinearScorer.SparseDot(indices.Select(i => dense[i]).ToArray(), values);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{indices.Length} terms: CpuMath {expected:R}, ours {actual:R}");
        }
    }

    private delegate float SparseDotRoutine(ReadOnlySpan<float> dense, ReadOnlySpan<float> values, ReadOnlySpan<int> indices, int count);

    private string Train(string dataset, string trainer)
    {
        var path = Path.Combine(_folder, $"{dataset}-{trainer}.zip");
        var output = new StringWriter();
        var exit = Program.Run(["train", "--pipeline", "handcrafted", "--data", dataset, "--trainer", trainer, "--out", path], output, CancellationToken.None);
        Assert.True(exit == 0, output.ToString());
        return path;
    }
}
