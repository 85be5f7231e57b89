namespace FeatureExtractors.Tests;

public class OtherExtractorTests
{
    [Fact]
    public void Edge_density_of_a_vertical_step()
    {
        // 8x8, columns 4..7 bright: Sobel gx = 4 on columns 3 and 4, 0 elsewhere
        const int w = 8, h = 8;
        var img = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 4; x < w; x++)
            {
                img[(y * w) + x] = 1f;
            }
        }

        IFeatureExtractor e = new EdgeDensityOptions { GridX = 2, GridY = 2, Threshold = 0.5f }.CreateExtractor(new ImageShape(w, h, 1));
        Assert.Equal(8, e.OutputLength);
        var f = new float[8];
        e.Extract(img, f);
        // each 4x4 cell has one column of 4 edge pixels: fraction 4/16; mean magnitude 4 * 4 / 16 = 1
        Assert.Equal([0.25f, 0.25f, 0.25f, 0.25f, 1f, 1f, 1f, 1f], f);
        Assert.Equal("edges(grid=2x2,threshold=0.5,sobel)", e.Name);
    }

    [Fact]
    public void Intensity_statistics_of_half_dark_half_bright()
    {
        var img = new float[16];
        for (int i = 8; i < 16; i++)
        {
            img[i] = 1f;
        }

        IFeatureExtractor e = ColourStatisticsOptions.Intensity(4).CreateExtractor(new ImageShape(4, 4, 1));
        var f = new float[e.OutputLength];
        Assert.Equal(6, f.Length);
        e.Extract(img, f);
        Assert.Equal([0.5f, 0.5f, 0.5f, 0f, 0f, 0.5f], f);
    }

    [Fact]
    public void Colour_statistics_hue_and_saturation()
    {
        const int n = 4;
        var shape = new ImageShape(2, 2, 3);
        var opts = new ColourStatisticsOptions { HistogramBins = 2, HueBins = 6, SaturationBins = 2 };
        IFeatureExtractor e = opts.CreateExtractor(shape);
        Assert.Equal((3 * (2 + 2)) + 6 + 2, e.OutputLength);
        var f = new float[e.OutputLength];

        // pixels: pure red, pure green, pure blue, mid grey
        float[] img = [1, 0, 0, 0.5f, /*G*/ 0, 1, 0, 0.5f, /*B*/ 0, 0, 1, 0.5f];
        e.Extract(img, f);
        // red plane: mean (1 + 0.5) / 4, histogram: 0, 0, 0.5 -> bin 0 (x2)... 0.5 -> bin 1, 1 -> bin 1
        Assert.Equal(1.5f / n, f[0], 1e-6f);
        Assert.Equal(0.5f, f[2]);
        Assert.Equal(0.5f, f[3]);
        Span<float> hue = f.AsSpan(12, 6);
        // hue sextants: red 0, green 2, blue 4, each with saturation 1; grey adds nothing
        Assert.Equal([0.25f, 0f, 0.25f, 0f, 0.25f, 0f], hue.ToArray());
        // saturation: three pixels at 1 (last bin), grey at 0
        Assert.Equal([0.25f, 0.75f], f.AsSpan(18, 2).ToArray());
        Assert.All(f, v => Assert.False(float.IsNaN(v)));
    }

    [Fact]
    public void Pixels_block_average()
    {
        float[] img = Enumerable.Range(0, 16).Select(i => (float)i).ToArray();
        IFeatureExtractor e = new PixelsOptions { BlockSize = 2 }.CreateExtractor(new ImageShape(4, 4, 1));
        var f = new float[4];
        e.Extract(img, f);
        Assert.Equal([(0 + 1 + 4 + 5) / 4f, (2 + 3 + 6 + 7) / 4f, (8 + 9 + 12 + 13) / 4f, (10 + 11 + 14 + 15) / 4f], f);
        IFeatureExtractor raw = new PixelsOptions().CreateExtractor(new ImageShape(4, 4, 1));
        var r = new float[16];
        raw.Extract(img, r);
        Assert.Equal(img, r);
    }
}
