namespace ImageWorkbench.FeatureExtractors.Tests;

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

public class StatisticsReferenceTests
{
    private static int Bin(float v, int bins) => v <= 0f ? 0 : Math.Min((int)(v * bins), bins - 1);

    [Theory]
    [InlineData(13, 11)] // vector body + scalar tail
    [InlineData(64, 64)]
    public void Colour_statistics_match_a_naive_reference(int w, int h)
    {
        var shape = new ImageShape(w, h, 3);
        float[] img = TestImages.Random(w + h, shape.Length);
        for (int i = 0; i < 40; i++)
        {
            img[(i * 7) % shape.PlaneLength] = img[shape.PlaneLength + ((i * 7) % shape.PlaneLength)] = img[(2 * shape.PlaneLength) + ((i * 7) % shape.PlaneLength)] = 0.3f; // some grey pixels
        }

        var o = new ColourStatisticsOptions { HistogramBins = 5, HueBins = 6, SaturationBins = 3 };
        IFeatureExtractor e = o.CreateExtractor(shape);
        var f = new float[e.OutputLength];
        e.Extract(img, f);

        int n = shape.PlaneLength, at = 0;
        var expected = new List<double>();
        for (int c = 0; c < 3; c++)
        {
            double[] p = img.Skip(c * n).Take(n).Select(v => (double)v).ToArray();
            double mean = p.Average();
            expected.Add(mean);
            expected.Add(Math.Sqrt(p.Select(v => (v - mean) * (v - mean)).Average()));
            var hist = new double[5];
            foreach (double v in p)
            {
                hist[Bin((float)v, 5)] += 1.0 / n;
            }

            expected.AddRange(hist);
        }

        var hue = new double[6];
        var sat = new double[3];
        for (int i = 0; i < n; i++)
        {
            double r = img[i], g = img[n + i], b = img[(2 * n) + i];
            double max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b)), chroma = max - min;
            double s = max > 0 ? chroma / max : 0;
            sat[Bin((float)s, 3)] += 1.0 / n;
            if (chroma > 0)
            {
                double hh = max == r ? (g - b) / chroma : max == g ? 2 + ((b - r) / chroma) : 4 + ((r - g) / chroma);
                if (hh < 0)
                {
                    hh += 6;
                }

                hue[Math.Min((int)hh, 5)] += s / n;
            }
        }

        expected.AddRange(hue);
        expected.AddRange(sat);
        Assert.Equal(expected.Count, f.Length);
        for (at = 0; at < f.Length; at++)
        {
            Assert.True(Math.Abs(expected[at] - f[at]) < 1e-4, $"feature {at}: {f[at]} vs {expected[at]}");
        }
    }

    [Fact]
    public void Edge_density_matches_a_naive_reference_on_colour()
    {
        var shape = new ImageShape(30, 21, 3);
        float[] img = TestImages.Random(5, shape.Length);
        var o = new EdgeDensityOptions { GridX = 4, GridY = 3, Threshold = 1.2f };
        IFeatureExtractor e = o.CreateExtractor(shape);
        var f = new float[e.OutputLength];
        e.Extract(img, f);

        var gx = new float[shape.PlaneLength];
        var gy = new float[shape.PlaneLength];
        Gradients.Compute(img, shape, gx, gy, GradientOperator.Sobel);
        for (int cy = 0; cy < 3; cy++)
        {
            for (int cx = 0; cx < 4; cx++)
            {
                int x0 = cx * 30 / 4, x1 = (cx + 1) * 30 / 4, y0 = cy * 21 / 3, y1 = (cy + 1) * 21 / 3;
                double count = 0, sum = 0;
                for (int y = y0; y < y1; y++)
                {
                    for (int x = x0; x < x1; x++)
                    {
                        double m = Math.Sqrt((gx[(y * 30) + x] * gx[(y * 30) + x]) + (gy[(y * 30) + x] * gy[(y * 30) + x]));
                        sum += m;
                        count += m > 1.2 ? 1 : 0;
                    }
                }

                double area = (x1 - x0) * (y1 - y0);
                Assert.Equal(count / area, f[(cy * 4) + cx], 1e-5);
                Assert.Equal(sum / area, f[12 + (cy * 4) + cx], 1e-4);
            }
        }
    }
}
