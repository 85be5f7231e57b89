namespace ImageWorkbench.FeatureExtractors.Tests;

public class CorrelationTests
{
    private static readonly float[] X = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    private static readonly Kernel2D K = new(2, 2, [0, 1, 2, 3]);

    [Fact]
    public void Corr2d_textbook_example()
    {
        var y = new float[4];
        Correlation.Corr2d(X, 3, 3, K, y);
        Assert.Equal([19f, 25f, 37f, 43f], y);
    }

    [Fact]
    public void Convolve_textbook_example_uses_the_flipped_kernel()
    {
        var y = new float[4];
        Correlation.Convolve(X, 3, 3, K, y);
        // flipped kernel [[3,2],[1,0]]: 0*3+1*2+3*1+4*0 = 5, ...
        Assert.Equal([5f, 11f, 23f, 29f], y);
    }

    [Theory]
    [InlineData(PaddingMode.Zero)]
    [InlineData(PaddingMode.Replicate)]
    [InlineData(PaddingMode.Reflect)]
    public void Convolution_equals_correlation_with_flipped_kernel(PaddingMode mode)
    {
        float[] img = TestImages.Random(1, 9 * 7);
        var k = new Kernel2D(3, 2, [1, -2, 3, 0.5f, 4, -1]);
        var a = new float[9 * 7];
        var b = new float[9 * 7];
        Correlation.Convolve(img, 9, 7, k, mode, a);
        Correlation.Corr2d(img, 9, 7, new Kernel2D(3, 2, [-1, 4, 0.5f, 3, -2, 1]), mode, b);
        Assert.Equal(b, a);
    }

    [Theory]
    [InlineData(PaddingMode.Zero, new float[] { 8, 15, 12, 21, 36, 27, 20, 33, 24 })]
    [InlineData(PaddingMode.Replicate, new float[] { 12, 18, 24, 30, 36, 42, 48, 54, 60 })]
    [InlineData(PaddingMode.Reflect, new float[] { 24, 27, 30, 33, 36, 39, 42, 45, 48 })]
    public void Box_sum_with_padding_matches_hand_computation(PaddingMode mode, float[] expected)
    {
        // e.g. Replicate top-left: rows (0,0,1) x cols (0,0,1) = 0+0+1 + 0+0+1 + 3+3+4 = 12
        var box = new Kernel2D(3, 3, [1, 1, 1, 1, 1, 1, 1, 1, 1]);
        var y = new float[9];
        Correlation.Corr2d(X, 3, 3, box, mode, y);
        Assert.Equal(expected, y);
    }

    [Theory]
    [InlineData(PaddingMode.Zero, new float[] { 66, 115, 82, 153, 240, 159, 90, 133, 82 })]
    [InlineData(PaddingMode.Replicate, new float[] { 90, 123, 150, 207, 240, 267, 270, 303, 330 })]
    [InlineData(PaddingMode.Reflect, new float[] { 120, 141, 150, 219, 240, 249, 210, 231, 240 })]
    public void Asymmetric_kernel_with_padding(PaddingMode mode, float[] expected)
    {
        var k = new Kernel2D(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        var y = new float[9];
        Correlation.Corr2d(X, 3, 3, k, mode, y);
        Assert.Equal(expected, y);
    }

    [Theory]
    [InlineData(-1, 5, PaddingMode.Reflect, 1)]
    [InlineData(-2, 5, PaddingMode.Reflect, 2)]
    [InlineData(5, 5, PaddingMode.Reflect, 3)]
    [InlineData(6, 5, PaddingMode.Reflect, 2)]
    [InlineData(-3, 5, PaddingMode.Replicate, 0)]
    [InlineData(9, 5, PaddingMode.Replicate, 4)]
    [InlineData(-1, 5, PaddingMode.Zero, -1)]
    [InlineData(3, 5, PaddingMode.Zero, 3)]
    [InlineData(-4, 1, PaddingMode.Reflect, 0)]
    public void MapIndex(int i, int n, PaddingMode mode, int expected) =>
        Assert.Equal(expected, Correlation.MapIndex(i, n, mode));

    [Fact]
    public void Valid_stride_keeps_every_second_output()
    {
        float[] img = Enumerable.Range(0, 25).Select(i => (float)i).ToArray();
        var y = new float[4];
        // 2x2 sum kernel on 5x5, stride 2: outputs at (0,0), (0,2), (2,0), (2,2)
        Assert.Equal((2, 2), Correlation.ValidSize(5, 5, 2, 2, 2));
        Correlation.Corr2d(img, 5, 5, new Kernel2D(2, 2, [1, 1, 1, 1]), y, stride: 2);
        Assert.Equal([0 + 1 + 5 + 6, 2 + 3 + 7 + 8, 10 + 11 + 15 + 16, 12 + 13 + 17 + 18], y);
    }

    [Fact]
    public void Same_stride_samples_the_padded_result()
    {
        var box = new Kernel2D(3, 3, [1, 1, 1, 1, 1, 1, 1, 1, 1]);
        var y = new float[4];
        Assert.Equal((2, 2), Correlation.SameSize(3, 3, 2));
        Correlation.Corr2d(X, 3, 3, box, PaddingMode.Zero, y, stride: 2);
        Assert.Equal([8f, 12f, 20f, 24f], y);
    }

    [Theory]
    [InlineData(PaddingMode.Zero, 1)]
    [InlineData(PaddingMode.Replicate, 1)]
    [InlineData(PaddingMode.Reflect, 1)]
    [InlineData(PaddingMode.Reflect, 2)]
    [InlineData(PaddingMode.Replicate, 3)]
    public void Separable_path_equals_full_2d_path(PaddingMode mode, int stride)
    {
        float[] row = [0.25f, -1f, 2f, 0.5f, 1f];
        float[] col = [1f, 3f, -2f];
        Kernel2D k = Kernel2D.Separable(row, col);
        for (int seed = 0; seed < 5; seed++)
        {
            int w = 7 + (seed * 5), h = 5 + (seed * 3);
            float[] img = TestImages.Random(seed, w * h);
            var (ow, oh) = Correlation.SameSize(w, h, stride);
            var full = new float[ow * oh];
            var sep = new float[ow * oh];
            Correlation.Corr2d(img, w, h, k, mode, full, stride);
            Correlation.Corr2dSeparable(img, w, h, row, col, mode, sep, stride);
            for (int i = 0; i < full.Length; i++)
            {
                Assert.Equal(full[i], sep[i], 1e-4f);
            }

            var (vw, vh) = Correlation.ValidSize(w, h, 5, 3, stride);
            var vfull = new float[vw * vh];
            var vsep = new float[vw * vh];
            Correlation.Corr2d(img, w, h, k, vfull, stride);
            Correlation.Corr2dSeparable(img, w, h, row, col, vsep, stride);
            for (int i = 0; i < vfull.Length; i++)
            {
                Assert.Equal(vfull[i], vsep[i], 1e-4f);
            }
        }
    }

    [Fact]
    public void Filter_picks_the_separable_path_with_the_same_result()
    {
        float[] img = TestImages.Random(7, 20 * 11);
        var a = new float[20 * 11];
        var b = new float[20 * 11];
        Correlation.Filter(img, 20, 11, Kernels.SobelX, PaddingMode.Reflect, a);
        Correlation.Corr2d(img, 20, 11, new Kernel2D(3, 3, Kernels.SobelX.Values), PaddingMode.Reflect, b);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(b[i], a[i], 1e-5f);
        }
    }

    [Fact]
    public void Bad_sizes_throw_ArgumentException()
    {
        var y = new float[100];
        // kernel larger than the image in valid mode
        var e = Assert.ThrowsAny<ArgumentException>(() => Correlation.Corr2d(X, 3, 3, new Kernel2D(4, 1, [1, 1, 1, 1]), y));
        Assert.Contains("does not fit", e.Message, StringComparison.Ordinal);
        // image buffer does not match its size
        Assert.ThrowsAny<ArgumentException>(() => Correlation.Corr2d(X, 4, 3, K, y));
        // output too small
        Assert.ThrowsAny<ArgumentException>(() => Correlation.Corr2d(X, 3, 3, K, new float[3]));
        Assert.ThrowsAny<ArgumentException>(() => Correlation.Corr2d(X, 3, 3, K, PaddingMode.Zero, new float[8]));
        // stride and size
        Assert.ThrowsAny<ArgumentException>(() => Correlation.Corr2d(X, 3, 3, K, y, stride: 0));
        Assert.ThrowsAny<ArgumentException>(() => Correlation.Corr2d(X, 0, 3, K, y));
        // kernel values vs size
        Assert.ThrowsAny<ArgumentException>(() => new Kernel2D(2, 2, [1, 2, 3]));
        Assert.ThrowsAny<ArgumentException>(() => new Kernel2D(0, 2, []));
    }
}
