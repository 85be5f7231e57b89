using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Runtime.HandCrafted;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Pipeline.Tests.Embedding;

/// <summary><see cref="HandCraftedFeatureOptions.Kernel"/> reaches the HOG of a custom set, Scharr included.</summary>
public sealed class HandCraftedKernelTests
{
    [Fact]
    public void Scharr_options_build_a_scharr_hog_of_the_same_length_with_different_features()
    {
        var sobel = HandCraftedFeatureOptions.Grey28V1 with { Kernel = GradientOperator.Sobel };
        var scharr = HandCraftedFeatureOptions.Grey28V1 with { Kernel = GradientOperator.Scharr };
        Assert.Null(scharr.PresetName);
        var sobelSet = sobel.ToDefinition();
        var scharrSet = scharr.ToDefinition();
        Assert.Contains(",scharr,", scharrSet.Describe(), StringComparison.Ordinal);
        Assert.DoesNotContain("scharr", sobelSet.Describe(), StringComparison.Ordinal);
        Assert.Equal(6 * 6 * 2 * 2 * 9, scharrSet.GetSegment("hog").Length); // 7x7 cells of 4 px, 2x2-cell blocks, 9 bins
        Assert.Equal(sobelSet.Segments, scharrSet.Segments);

        float[] image = Image(28 * 28);
        float[] withSobel = Extract(sobelSet, image), withScharr = Extract(scharrSet, image);
        Assert.Equal(scharrSet.OutputLength, withScharr.Length);
        var hog = scharrSet.GetSegment("hog");
        Assert.NotEqual(withSobel[hog.Offset..hog.End], withScharr[hog.Offset..hog.End]);
        Assert.Equal(withSobel[hog.End..], withScharr[hog.End..]); // the kernel is the HOG's only

        // and through the ML.NET transform
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Pixels = image } });
        var features = ml.Transforms.ExtractHandCraftedFeatures(scharr).Fit(data).Transform(data).GetColumn<float[]>("Features").Single();
        Assert.Equal(withScharr, features);
    }

    private static float[] Extract(FeatureSetDefinition definition, float[] image)
    {
        var features = new float[definition.OutputLength];
        definition.CreateExtractor().Extract(image, features);
        return features;
    }

    private static float[] Image(int n)
    {
        var random = new Random(7);
        return [.. Enumerable.Range(0, n).Select(_ => random.NextSingle())];
    }

    private sealed class Row
    {
        [VectorType(784)]
        public float[] Pixels { get; set; } = [];
    }
}
