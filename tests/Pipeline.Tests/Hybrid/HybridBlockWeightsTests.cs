using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Pipelines.Hybrid;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Decoding;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Pipeline.Tests.Hybrid;

/// <summary>The hybrid's block weights: saved without a custom transform, and chosen on validation towards the block that carries the labels.</summary>
public sealed class HybridBlockWeightsTests
{
    private const int Classes = 3;
    private const int PerClass = 40;

    /// <summary>
    /// Rows of <paramref name="handLength"/> + <paramref name="cnnLength"/> features: the informative block holds the
    /// class as a shift of a few features plus noise; the other block is noise alone, at a scale of its own.
    /// </summary>
    private static (ImageDataset Data, FeatureMatrix Rows) Synthetic(int handLength, int cnnLength, bool cnnInformative, int seed)
    {
        var random = new Random(seed);
        var images = new List<LabeledImage>();
        var rows = new FeatureMatrix(handLength + cnnLength, Classes * PerClass);
        for (var i = 0; i < Classes * PerClass; i++)
        {
            var label = i % Classes;
            images.Add(new LabeledImage(ImageSource.FromEncoded(new byte[] { (byte)i }, $"image-{i}.png"), label));
            var row = rows.AddRow((uint)label, i);
            for (var j = 0; j < row.Length; j++)
            {
                var informative = cnnInformative ? j >= handLength : j < handLength;
                var scale = j < handLength ? 3f : 0.2f; // the blocks' raw scales differ, as HOG and ResNet features do
                var signal = informative && (j % 4) == label ? 0.8f : 0f;
                row[j] = scale * (signal + (float)(random.NextDouble() * 2 - 1));
            }
        }

        var data = new ImageDataset("synthetic", "memory", ["a", "b", "c"], images, [], hasOwnSplit: false, nativeShape: null);
        return (data, rows);
    }

    private static float[] Features(IDataView view)
    {
        var values = new List<float>();
        using var cursor = view.GetRowCursor([view.Schema["Features"]]);
        var get = cursor.GetGetter<VBuffer<float>>(view.Schema["Features"]);
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            get(ref buffer);
            values.AddRange(buffer.DenseValues());
        }

        return [.. values];
    }

    [Fact]
    public void The_saved_normaliser_standardises_each_feature_then_multiplies_it_by_its_block_weight()
    {
        var (_, rows) = Synthetic(handLength: 6, cnnLength: 4, cnnInformative: true, seed: 3);
        var ml = new MLContext(seed: 1);
        var type = new VectorDataViewType(NumberDataViewType.Single, rows.Length);
        var raw = rows.AsDataView(ml, type, Classes);
        var weights = HybridBlockWeights.SlotWeights(handLength: 6, rows.Length, cnnToHand: 4);
        Assert.Equal([0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 2f, 2f, 2f, 2f], weights);

        // The head's first step, fitted with these weights, applied to the raw rows ...
        var head = HybridBlockWeights.CreateHead(ml, rows, null, weights, TrainerKind.Lbfgs, maxIterations: 5, Classes, CancellationToken.None);
        var model = (TransformerChain<ITransformer>)head.Fit(raw);
        var weighted = Features(model.First().Transform(raw));

        // ... equals the plain standardisation of the raw rows times the weights.
        var plain = Features(ml.Transforms.NormalizeMeanVariance("Features").Fit(raw).Transform(raw));
        Assert.Equal(plain.Length, weighted.Length);
        for (var i = 0; i < plain.Length; i++)
        {
            Assert.Equal(plain[i] * weights[i % rows.Length], weighted[i], 1e-4);
        }
    }

    [Fact]
    public void The_view_takes_a_subset_of_rows_in_order_and_scales_each_slot()
    {
        var (_, rows) = Synthetic(handLength: 2, cnnLength: 2, cnnInformative: false, seed: 5);
        var ml = new MLContext(seed: 1);
        var view = rows.AsDataView(ml, new VectorDataViewType(NumberDataViewType.Single, 4), Classes, subset: [7, 2], slotScale: [1f, 2f, 0.5f, -1f]);
        Assert.Equal(2, view.GetRowCount());
        var values = Features(view);
        float[] expected = [.. new[] { 7, 2 }.SelectMany(r => rows.Row(r).ToArray().Select((v, j) => v * new[] { 1f, 2f, 0.5f, -1f }[j]))];
        Assert.Equal(expected, values);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Validation_weights_the_block_that_carries_the_labels(bool cnnInformative)
    {
        var (data, rows) = Synthetic(handLength: 40, cnnLength: 40, cnnInformative, seed: 11);
        var options = new TrainingOptions { Pipeline = PipelineRegistry.Get("hybrid"), Seed = 42 };
        var choice = HybridBlockWeights.Choose(data, rows, handLength: 40, TrainerKind.Lbfgs, options, new DataWarnings(), progress: null, CancellationToken.None);

        Assert.NotNull(choice);
        Assert.Equal(HybridBlockWeights.Ratios, choice.Candidates.Select(c => c.CnnToHand));
        Assert.Equal(Classes * PerClass, choice.FitCount + choice.ValidationCount);
        Assert.True(cnnInformative ? choice.CnnToHand > 1 : choice.CnnToHand < 1, choice.Describe());

        // Same seed, same rows: the same figures.
        var again = HybridBlockWeights.Choose(data, rows, handLength: 40, TrainerKind.Lbfgs, options, new DataWarnings(), progress: null, CancellationToken.None);
        Assert.Equal(choice.Describe(), again!.Describe());
    }
}
