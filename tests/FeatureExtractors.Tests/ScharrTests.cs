namespace ImageWorkbench.FeatureExtractors.Tests;

/// <summary>The Scharr operator: <see cref="Kernels.ScharrX"/> / <see cref="Kernels.ScharrY"/>, fused like Sobel.</summary>
public class ScharrTests
{
    // widths: < 10 scalar, 10..17 Vector256, >= 18 Vector512 where the hardware has it (else Vector256 again)
    [Theory]
    [InlineData(3, 3)]
    [InlineData(5, 4)]
    [InlineData(9, 7)]
    [InlineData(10, 6)]
    [InlineData(13, 5)]
    [InlineData(17, 8)]
    [InlineData(18, 5)]
    [InlineData(28, 28)]
    [InlineData(37, 9)]
    [InlineData(64, 3)]
    public void Fused_Scharr_equals_correlation_with_replicate_padding(int w, int h) =>
        GradientTests.AssertFusedEqualsCorrelation(GradientOperator.Scharr, Kernels.ScharrX, Kernels.ScharrY, w, h);

    [Theory]
    [InlineData(6)]
    [InlineData(12)]
    [InlineData(28)]
    [InlineData(40)]
    public void A_unit_step_gives_16_in_x_and_in_y(int w)
    {
        const int h = 5;
        int edge = w / 2;
        float[] img = GradientTests.VerticalStep(w, h, edge);
        var gx = new float[w * h];
        var gy = new float[w * h];
        Gradients.Compute(img, new ImageShape(w, h, 1), gx, gy, GradientOperator.Scharr);
        for (int i = 0; i < gx.Length; i++)
        {
            int x = i % w;
            Assert.Equal(x == edge - 1 || x == edge ? 16f : 0f, gx[i]); // 3 + 10 + 3
            Assert.Equal(0f, gy[i]);
        }

        // the transpose: a horizontal step (h rows of width w become w rows of width h)
        float[] turned = Transpose(img, w, h);
        Gradients.Compute(turned, new ImageShape(h, w, 1), gx, gy, GradientOperator.Scharr);
        for (int i = 0; i < gy.Length; i++)
        {
            int y = i / h;
            Assert.Equal(y == edge - 1 || y == edge ? 16f : 0f, gy[i]);
            Assert.Equal(0f, gx[i]);
        }
    }

    [Theory]
    [InlineData(7)]
    [InlineData(15)]
    [InlineData(33)]
    public void Colour_takes_the_strongest_channel_row_path_included(int w)
    {
        // channels: c0, 0.5 c0, 2 c0 -> the third is strongest everywhere it is non-zero, and exactly 2x the grey result
        const int h = 6;
        int plane = w * h;
        float[] grey = TestImages.Random(11, plane);
        var rgb = new float[3 * plane];
        for (int i = 0; i < plane; i++)
        {
            rgb[i] = grey[i];
            rgb[plane + i] = 0.5f * grey[i];
            rgb[(2 * plane) + i] = 2f * grey[i];
        }

        var gx = new float[plane];
        var gy = new float[plane];
        var cx = new float[plane];
        var cy = new float[plane];
        Gradients.Compute(grey, new ImageShape(w, h, 1), gx, gy, GradientOperator.Scharr);
        Gradients.Compute(rgb, new ImageShape(w, h, 3), cx, cy, GradientOperator.Scharr);
        for (int i = 0; i < plane; i++)
        {
            Assert.Equal(2f * gx[i], cx[i]);
            Assert.Equal(2f * gy[i], cy[i]);
        }
    }

    [Fact]
    public void Names_and_extractors_know_scharr()
    {
        var shape = new ImageShape(32, 32, 1);
        var hog = new HogOptions { Operator = GradientOperator.Scharr };
        Assert.Contains(",scharr,", hog.Name, StringComparison.Ordinal);
        Assert.Contains("scharr", new EdgeDensityOptions { Operator = GradientOperator.Scharr }.Name, StringComparison.Ordinal);
        Assert.Contains(",sobel,", (hog with { Operator = GradientOperator.Sobel }).Name, StringComparison.Ordinal);
        Assert.Contains(",diff,", (hog with { Operator = GradientOperator.CentralDifference }).Name, StringComparison.Ordinal);

        float[] img = TestImages.Random(5, shape.Length);
        float[] Features(IFeatureExtractorOptions o)
        {
            var e = o.CreateExtractor(shape);
            var f = new float[e.OutputLength];
            e.Extract(img, f);
            return f;
        }

        Assert.NotEqual(Features(hog with { Operator = GradientOperator.Sobel }), Features(hog));
        Assert.NotEqual(Features(new EdgeDensityOptions()), Features(new EdgeDensityOptions { Operator = GradientOperator.Scharr }));
    }

    private static float[] Transpose(float[] a, int w, int h)
    {
        var t = new float[a.Length];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                t[(x * h) + y] = a[(y * w) + x];
            }
        }

        return t;
    }
}
