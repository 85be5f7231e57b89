using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Pipeline.Tests.Hostile;
using ImageWorkbench.Runtime;
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
        Assert.False(classifier.ModelLoaded, "the package's scorer entry should answer without ML.NET's model");

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
        using (var zip = ZipFile.OpenRead(modelPath))
        {
            Assert.Null(zip.GetEntry(ModelPackage.DirectScorerEntry)); // written only for the chains it describes
        }

        var prediction = classifier.PredictPixels(new float[classifier.Metadata.Input.Shape.Length]);
        Assert.Equal(classifier.Classes.Count, prediction.Scores.Count);
    }

    [Fact]
    public void The_ML_NET_model_is_read_on_first_use_when_the_scorer_entry_answered()
    {
        var modelPath = Train("fashion-mnist-mini", "lbfgs");
        using var classifier = ImageClassifier.Load(modelPath);
        var before = classifier.PredictPixels(new float[classifier.Metadata.Input.Shape.Length]);
        Assert.False(classifier.ModelLoaded);

        // the ML.NET way (ImageClassifierServices, evaluation) still has the saved model, read now
        var saved = classifier.SavedModel;
        Assert.True(classifier.ModelLoaded);
        Assert.NotNull(saved.GetOutputSchema(ModelPackage.Load(new MLContext(seed: 0), modelPath).SavedInputSchema).GetColumnOrNull("Score"));
        Assert.Equal(before.Scores, classifier.PredictPixels(new float[classifier.Metadata.Input.Shape.Length]).Scores);
    }

    /// <summary>
    /// An entry that does not give the scores it records, or cannot be read, is not used: the classifier reads the ML.NET
    /// model instead and scores as its engine does. The checksums are recomputed (a tool's or a forger's edit); without
    /// that, the load is refused as damaged.
    /// </summary>
    [Theory]
    [InlineData("a bias changed, probe scores kept")]
    [InlineData("cut short")]
    [InlineData("one byte too many")]
    [InlineData("another feature set")]
    [InlineData("more classes than the model")]
    [InlineData("empty")]
    public void A_scorer_entry_that_does_not_reproduce_its_recorded_scores_is_not_used(string damage)
    {
        var modelPath = Train("fashion-mnist-mini", "lbfgs");
        var forged = Path.Combine(_folder, "forged.zip");
        Forge(modelPath, forged, entry => damage switch
        {
            "a bias changed, probe scores kept" => Changed(entry, entry.Length - (4 * 4 * 10) - 4 - (4 * 10), 0.5f), // class 0's bias (before the probe count and 4 probes x 10 classes),
            "cut short" => entry[..(entry.Length / 2)],
            "one byte too many" => [.. entry, 0],
            "another feature set" => Renamed(entry, FeatureExtractors.FeatureSetPresets.Rgb64V1Name),
            "more classes than the model" => WithClassCount(entry, 11),
            _ => [],
        });

        using var original = ImageClassifier.Load(modelPath);
        using var classifier = ImageClassifier.Load(forged);
        Assert.True(classifier.ModelLoaded, damage);
        Assert.True(classifier.ScoresDirectly, damage); // from the ML.NET model's own parameters, checked against its engine
        var random = new Random(5);
        for (var i = 0; i < 20; i++)
        {
            var pixels = Enumerable.Range(0, classifier.Metadata.Input.Shape.Length).Select(_ => (float)random.NextDouble()).ToArray();
            Assert.Equal(original.PredictPixels(pixels).Scores, classifier.PredictPixels(pixels).Scores);
        }

        var damaged = Path.Combine(_folder, "damaged.zip");
        PackageCrafting.Rewrite(modelPath, damaged, (name, bytes) => name == ModelPackage.DirectScorerEntry ? Changed(bytes, 100, 1f) : bytes, recomputeChecksums: false);
        Assert.Contains("checksum", Assert.Throws<ModelFormatException>(() => ImageClassifier.Load(damaged)).Message);
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

    /// <summary>Adds <paramref name="delta"/> to the float at <paramref name="offset"/>.</summary>
    private static byte[] Changed(byte[] entry, int offset, float delta)
    {
        var copy = (byte[])entry.Clone();
        BinaryPrimitives.WriteSingleLittleEndian(copy.AsSpan(offset), BinaryPrimitives.ReadSingleLittleEndian(copy.AsSpan(offset)) + delta);
        return copy;
    }

    /// <summary>The entry with its feature-set name replaced (the name follows the magic, the version and its length).</summary>
    private static byte[] Renamed(byte[] entry, string name)
    {
        var oldLength = BinaryPrimitives.ReadUInt16LittleEndian(entry.AsSpan(8));
        var newName = Encoding.UTF8.GetBytes(name);
        var lengthBytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(lengthBytes, (ushort)newName.Length);
        return [.. entry[..8], .. lengthBytes, .. newName, .. entry[(10 + oldLength)..]];
    }

    private static byte[] WithClassCount(byte[] entry, int classes)
    {
        var copy = (byte[])entry.Clone();
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(copy.AsSpan(8));
        BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(10 + nameLength + 4), classes);
        return copy;
    }

    /// <summary>
    /// Rewrites the package's scorer entry and makes every checksum match again (SHA256SUMS and the metadata's digest of
    /// the model's checksum lines), as a forger would: the loader's own checks on the entry are then all that is left.
    /// </summary>
    private static void Forge(string source, string target, Func<byte[], byte[]> edit)
    {
        var edited = Path.Combine(Path.GetDirectoryName(target)!, "edited.zip");
        PackageCrafting.Rewrite(source, edited, (name, bytes) => name == ModelPackage.DirectScorerEntry ? edit(bytes) : bytes);
        List<string> names;
        using (var zip = ZipFile.OpenRead(edited))
        {
            names = [.. zip.Entries.Select(e => e.FullName)];
        }

        var modelLines = string.Concat(names.Where(n => n is not (ModelPackage.MetadataEntry or ModelPackage.ChecksumsEntry))
            .Select(n => $"{Convert.ToHexString(SHA256.HashData(PackageCrafting.Entry(edited, n)))}  {n}\n"));
        var digest = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(modelLines)));
        PackageCrafting.Rewrite(edited, target, (name, bytes) => name == ModelPackage.MetadataEntry ? PackageCrafting.EditJson(bytes, json => json["modelSha256"] = digest) : bytes);
    }

    private string Train(string dataset, string trainer)
    {
        var path = Path.Combine(_folder, $"{dataset}-{trainer}.zip");
        var output = new StringWriter();
        var exit = Program.Run(["train", "--pipeline", "handcrafted", "--data", dataset, "--trainer", trainer, "--out", path], output, CancellationToken.None);
        Assert.True(exit == 0, output.ToString());
        return path;
    }
}
