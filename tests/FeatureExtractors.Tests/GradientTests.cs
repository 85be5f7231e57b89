namespace ImageWorkbench.FeatureExtractors.Tests;

public class GradientTests
{
    /// <summary>A w x h grey image, 0 left of column <paramref name="firstBright"/> and 1 from it on.</summary>
    internal static float[] VerticalStep(int w, int h, int firstBright)
    {
        var a = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = firstBright; x < w; x++)
            {
                a[(y * w) + x] = 1f;
            }
        }

        return a;
    }

    [Theory]
    [InlineData(6)]   // scalar path
    [InlineData(28)]  // vector path with overlapping tail
    [InlineData(40)]
    public void Sobel_on_vertical_step_edge(int w)
    {
        const int h = 5;
        int edge = w / 2;
        float[] img = VerticalStep(w, h, edge);
        var gx = new float[w * h];
        var gy = new float[w * h];
        Gradients.Sobel(img, w, h, gx, gy);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                // columns edge-1 and edge see 0 on the left and 1 on the right: (1) + 2(1) + (1) = 4
                float expected = x == edge - 1 || x == edge ? 4f : 0f;
                Assert.Equal(expected, gx[(y * w) + x]);
                Assert.Equal(0f, gy[(y * w) + x]);
            }
        }
    }

    [Fact]
    public void Central_difference_on_step_and_zero_border()
    {
        const int w = 12, h = 4;
        float[] img = VerticalStep(w, h, 1); // edge between x = 0 and x = 1
        var gx = new float[w * h];
        var gy = new float[w * h];
        Gradients.Compute(img, new ImageShape(w, h, 1), gx, gy, GradientOperator.CentralDifference, GradientBorder.Replicate);
        Assert.Equal(1f, gx[0]); // replicate: img[1] - img[0]
        Assert.Equal(1f, gx[1]); // img[2] - img[0]
        Assert.Equal(0f, gx[2]);
        Gradients.Compute(img, new ImageShape(w, h, 1), gx, gy, GradientOperator.CentralDifference, GradientBorder.ZeroGradient);
        Assert.Equal(0f, gx[0]); // scikit-image: first column's x gradient is 0
        Assert.Equal(1f, gx[1]);
        Assert.All(gy, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(5, 4)]
    [InlineData(28, 28)]
    [InlineData(37, 9)]
    public void Fused_Sobel_equals_correlation_with_replicate_padding(int w, int h) =>
        AssertFusedEqualsCorrelation(GradientOperator.Sobel, Kernels.SobelX, Kernels.SobelY, w, h);

    /// <summary>
    /// <see cref="Gradients.Compute"/> with <paramref name="op"/> (grey, replicate borders) of a random image equals
    /// the generic cross-correlation with the operator's x and y kernels.
    /// </summary>
    internal static void AssertFusedEqualsCorrelation(GradientOperator op, Kernel2D kx, Kernel2D ky, int w, int h)
    {
        float[] img = TestImages.Random(w * h, w * h);
        var gx = new float[w * h];
        var gy = new float[w * h];
        var ex = new float[w * h];
        var ey = new float[w * h];
        Gradients.Compute(img, new ImageShape(w, h, 1), gx, gy, op, GradientBorder.Replicate);
        Correlation.Corr2d(img, w, h, kx, PaddingMode.Replicate, ex);
        Correlation.Corr2d(img, w, h, ky, PaddingMode.Replicate, ey);
        for (int i = 0; i < gx.Length; i++)
        {
            Assert.Equal(ex[i], gx[i], 1e-5f);
            Assert.Equal(ey[i], gy[i], 1e-5f);
        }
    }

    [Theory]
    [InlineData(1f, 0f, 0.0, 0.0)]
    [InlineData(0f, 1f, 90.0, 90.0)]   // intensity rising downwards
    [InlineData(-1f, 0f, 180.0, 0.0)]
    [InlineData(0f, -1f, 270.0, 90.0)]
    [InlineData(1f, 1f, 45.0, 45.0)]
    [InlineData(-1f, -1f, 225.0, 45.0)]
    [InlineData(-1f, 1f, 135.0, 135.0)]
    [InlineData(1f, -1f, 315.0, 135.0)]
    [InlineData(0f, 0f, 0.0, 0.0)]
    public void Orientation_of_known_gradients(float gx, float gy, double signedDeg, double unsignedDeg)
    {
        float[] x = Enumerable.Repeat(gx, 11).ToArray(); // 11: vector + scalar tail
        float[] y = Enumerable.Repeat(gy, 11).ToArray();
        var s = new float[11];
        var u = new float[11];
        Gradients.Orientation(x, y, s, signed: true);
        Gradients.Orientation(x, y, u, signed: false);
        for (int i = 0; i < 11; i++)
        {
            Assert.Equal(signedDeg, s[i] * 180.0 / Math.PI, 1e-4);
            Assert.Equal(unsignedDeg, u[i] * 180.0 / Math.PI, 1e-4);
        }
    }

    [Fact]
    public void Orientation_agrees_with_Atan2_and_magnitude_with_hypot()
    {
        float[] x = TestImages.Random(3, 1000).Select(v => (v * 2f) - 1f).ToArray();
        float[] y = TestImages.Random(4, 1000).Select(v => (v * 2f) - 1f).ToArray();
        var s = new float[1000];
        var u = new float[1000];
        var m = new float[1000];
        Gradients.Orientation(x, y, s, true);
        Gradients.Orientation(x, y, u, false);
        Gradients.Magnitude(x, y, m);
        for (int i = 0; i < 1000; i++)
        {
            double a = Math.Atan2(y[i], x[i]);
            double sExp = a < 0 ? a + (2 * Math.PI) : a;
            double uExp = sExp >= Math.PI ? sExp - Math.PI : sExp;
            Assert.Equal(sExp, s[i], 2e-6);
            Assert.Equal(uExp, u[i], 2e-6);
            Assert.InRange(s[i], 0f, 2f * MathF.PI);
            Assert.InRange(u[i], 0f, MathF.PI);
            Assert.True(u[i] < MathF.PI);
            Assert.Equal(Math.Sqrt((x[i] * x[i]) + (y[i] * y[i])), m[i], 1e-6);
        }
    }

    [Fact]
    public void Colour_takes_the_strongest_channel_per_pixel()
    {
        const int w = 16, h = 12, plane = w * h;
        var img = new float[3 * plane];
        // R: weak vertical edge (0.25) between x = 7 and 8 everywhere
        // G: strong horizontal edge (1.0) between y = 5 and 6, only in the right half (x >= 10)
        // B: flat
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                img[(y * w) + x] = x >= 8 ? 0.25f : 0f;
                img[plane + (y * w) + x] = y >= 6 && x >= 10 ? 1f : 0f;
                img[(2 * plane) + (y * w) + x] = 0.5f;
            }
        }

        var gx = new float[plane];
        var gy = new float[plane];
        Gradients.Compute(img, new ImageShape(w, h, 3), gx, gy, GradientOperator.CentralDifference);
        // (x=7, y=2): only R has a gradient: gx = 0.25, gy = 0
        Assert.Equal(0.25f, gx[(2 * w) + 7]);
        Assert.Equal(0f, gy[(2 * w) + 7]);
        // (x=12, y=5): G has gy = 1 (stronger than R's 0) -> G's gradient
        Assert.Equal(0f, gx[(5 * w) + 12]);
        Assert.Equal(1f, gy[(5 * w) + 12]);
        // (x=8, y=6): R gives (0.25, 0), G gives (0, 0): R wins
        Assert.Equal(0.25f, gx[(6 * w) + 8]);
        // (x=10, y=6): G: gx = 1 - 0 = 1 (x: 11 vs 9), gy = 1 - 0 = 1 -> magnitude sqrt 2 beats R
        Assert.Equal(1f, gx[(6 * w) + 10]);
        Assert.Equal(1f, gy[(6 * w) + 10]);
        // a flat pixel
        Assert.Equal(0f, gx[(10 * w) + 2]);
        Assert.Equal(0f, gy[(10 * w) + 2]);
    }

    [Fact]
    public void Gradient_images_map_zero_to_half()
    {
        const int w = 10, h = 10;
        var gx = new float[w * h];
        var gy = new float[w * h];
        var m = new float[w * h];
        GradientImages.Render(new float[w * h], new ImageShape(w, h, 1), gx, gy, m);
        Assert.All(gx, v => Assert.Equal(0.5f, v));
        Assert.All(m, v => Assert.Equal(0f, v));
        float[] step = VerticalStep(w, h, 5);
        GradientImages.Render(step, new ImageShape(w, h, 1), gx, gy, m);
        Assert.Equal(1f, gx[(3 * w) + 5]);
        Assert.Equal(0.5f, gx[(3 * w) + 1]);
        Assert.Equal(0.5f, gy[(3 * w) + 5]);
        Assert.Equal(1f, m.Max());
        Assert.Equal(0f, m.Min());
    }
}
