namespace ImageWorkbench.FeatureExtractors.Tests;

/// <summary>Colour moments and the HSV histogram against scikit-image's colour conversions (tools/gen_skimage_colour.py).</summary>
public class ColourFeatureTests
{
    public static TheoryData<int> Cases()
    {
        var d = new TheoryData<int>();
        for (int i = 0; i < SkimageColourExpected.Cases.Length; i++)
        {
            d.Add(i);
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Lab_moments_on_a_pyramid_match_scikit_image(int index)
    {
        ColourReference r = SkimageColourExpected.Cases[index];
        // Lab spans about 0..100 (L) and -100..100 (a, b); the interpolated tables stay well inside 0.01 of it.
        AssertClose(r, Extract(new ColourMomentsOptions { Levels = [1, 2, 4], Space = ColourSpace.Lab }, r), r.LabMoments124, 0.01f);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Hsv_and_rgb_moments_match_numpy(int index)
    {
        ColourReference r = SkimageColourExpected.Cases[index];
        AssertClose(r, Extract(new ColourMomentsOptions { Levels = [1, 2, 4], Space = ColourSpace.Hsv }, r), r.HsvMoments124, 1e-4f);
        AssertClose(r, Extract(new ColourMomentsOptions { Levels = [1, 3], Space = ColourSpace.Rgb }, r), r.RgbMoments13, 1e-4f);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Hsv_histogram_matches_scikit_image(int index)
    {
        ColourReference r = SkimageColourExpected.Cases[index];
        float[] actual = Extract(new HsvHistogramOptions { HueBins = 8, SaturationBins = 3, ValueBins = 3 }, r);
        Assert.Equal(72, actual.Length);
        Assert.Equal(1f, actual.Sum(), 4);
        // A pixel whose hue lies on a bin edge may round the other way in float than in double: allow one pixel per bin.
        AssertClose(r, actual, r.HsvHistogram833, 1.01f / (r.Width * r.Height));
    }

    [Fact]
    public void Lab_conversion_of_primaries_matches_the_cie_figures()
    {
        // sRGB white, red and mid grey in Lab (D65), as scikit-image gives them.
        float[] rgb = [1f, 1f, 0.5f, 1f, 0f, 0.5f, 1f, 0f, 0.5f];
        var lab = new float[9];
        ColourSpaces.RgbToLab(rgb, lab, 3);
        Assert.Equal(100f, lab[0], 0.01f);
        Assert.Equal(0f, lab[3], 0.01f);
        Assert.Equal(53.2408f, lab[1], 0.01f);
        Assert.Equal(80.0925f, lab[4], 0.01f);
        Assert.Equal(67.2032f, lab[7], 0.01f);
        Assert.Equal(53.3890f, lab[2], 0.01f);
    }

    [Fact]
    public void Moments_see_where_the_colour_is()
    {
        // Left half red, right half blue: the 1x1 level cannot tell it from the mirror image, the 2x2 level can.
        var shape = new ImageShape(8, 8, 3);
        float[] left = new float[shape.Length], right = new float[shape.Length];
        for (int y = 0; y < 8; y++)
        {
            for (int x = 0; x < 8; x++)
            {
                int i = (y * 8) + x;
                (x < 4 ? left : right)[i] = 1f;
                (x < 4 ? right : left)[128 + i] = 1f;
            }
        }

        var options = new ColourMomentsOptions { Levels = [1, 2], Space = ColourSpace.Lab };
        float[] a = Extract(options, shape, left), b = Extract(options, shape, right);
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(a[i], b[i], 1e-3f);
        }

        Assert.True(MathF.Abs(a[9] - b[9]) > 10f, $"top-left cell L: {a[9]} vs {b[9]}");
    }

    [Fact]
    public void Lab_gives_each_pixel_the_float_it_gets_alone()
    {
        // The vector path (whole groups of eight) against the one-pixel scalar path: random colours, the ends of the
        // range and beyond, negative zero, infinities and NaN, on a plane whose length leaves a tail.
        const int plane = 203;
        float[] rgb = TestImages.Random(11, 3 * plane);
        float[] special = [0f, -0f, 1f, 1.0001f, -0.5f, 2f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 0.04045f, 1e-30f];
        for (int i = 0; i < special.Length; i++)
        {
            rgb[(7 * i) % (3 * plane)] = special[i];
            rgb[plane + ((5 * i) + 1)] = special[i];
        }

        var lab = new float[3 * plane];
        ColourSpaces.RgbToLab(rgb, lab, plane);
        var one = new float[3];
        for (int i = 0; i < plane; i++)
        {
            ColourSpaces.RgbToLab([rgb[i], rgb[plane + i], rgb[(2 * plane) + i]], one, 1);
            for (int c = 0; c < 3; c++)
            {
                Assert.True(
                    BitConverter.SingleToInt32Bits(one[c]) == BitConverter.SingleToInt32Bits(lab[(c * plane) + i]),
                    $"pixel {i} channel {c}: alone {one[c]:R}, in the plane {lab[(c * plane) + i]:R}");
            }
        }
    }

    [Theory]
    [InlineData(1, new[] { 1, 2, 4 })]
    [InlineData(3, new[] { 3, 1, 2, 5, 4 })]
    [InlineData(1, new[] { 7, 2, 2 })]
    public void Moments_are_the_textbook_two_passes_bit_for_bit(int channels, int[] levels)
    {
        // Uneven cells (30x26 in 3, 5 and 7 parts), more levels than a vector has lanes, a level given twice.
        var shape = new ImageShape(30, 26, channels);
        float[] image = TestImages.Lcg(17, shape.Width, shape.Height, channels);
        var options = new ColourMomentsOptions { Levels = levels, Space = ColourSpace.Rgb };
        float[] actual = Extract(options, shape, image);
        int o = 0, plane = shape.PlaneLength;
        foreach (int n in levels)
        {
            int[] xs = [.. Enumerable.Range(0, n + 1).Select(i => i * shape.Width / n)], ys = [.. Enumerable.Range(0, n + 1).Select(i => i * shape.Height / n)];
            for (int cy = 0; cy < n; cy++)
            {
                for (int cx = 0; cx < n; cx++)
                {
                    for (int c = 0; c < channels; c++)
                    {
                        double sum = 0, m2 = 0, m3 = 0, count = (xs[cx + 1] - xs[cx]) * (ys[cy + 1] - ys[cy]);
                        for (int y = ys[cy]; y < ys[cy + 1]; y++)
                        {
                            for (int x = xs[cx]; x < xs[cx + 1]; x++)
                            {
                                sum += image[(c * plane) + (y * shape.Width) + x];
                            }
                        }

                        double mean = sum / count;
                        for (int y = ys[cy]; y < ys[cy + 1]; y++)
                        {
                            for (int x = xs[cx]; x < xs[cx + 1]; x++)
                            {
                                double d = image[(c * plane) + (y * shape.Width) + x] - mean, d2 = d * d;
                                m2 += d2;
                                m3 += d2 * d;
                            }
                        }

                        Assert.Equal([(float)mean, (float)Math.Sqrt(m2 / count), (float)Math.Cbrt(m3 / count)], actual[o..(o + 3)]);
                        o += 3;
                    }
                }
            }
        }

        Assert.Equal(actual.Length, o);
    }

    [Fact]
    public void Options_reject_what_does_not_fit()
    {
        Assert.Throws<ArgumentException>(() => new ColourMomentsOptions { Levels = [] }.GetOutputLength(new ImageShape(8, 8, 3)));
        Assert.Throws<ArgumentException>(() => new ColourMomentsOptions { Levels = [16] }.GetOutputLength(new ImageShape(8, 8, 3)));
        Assert.Throws<ArgumentException>(() => new HsvHistogramOptions().GetOutputLength(new ImageShape(8, 8, 1)));
        Assert.Equal(21 * 3, new ColourMomentsOptions().GetOutputLength(new ImageShape(8, 8, 1)));
        Assert.Equal(new ColourMomentsOptions { Levels = [1, 2] }, new ColourMomentsOptions { Levels = [1, 2] });
    }

    private static float[] Extract(IFeatureExtractorOptions options, ColourReference r) =>
        Extract(options, new ImageShape(r.Width, r.Height, 3), TestImages.Get(r.Name, r.Width, r.Height, 3));

    private static float[] Extract(IFeatureExtractorOptions options, ImageShape shape, float[] image)
    {
        IFeatureExtractor extractor = options.CreateExtractor(shape);
        var v = new float[extractor.OutputLength];
        extractor.Extract(image, v);
        return v;
    }

    private static void AssertClose(ColourReference r, float[] actual, float[] expected, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(actual[i] - expected[i]) <= tolerance, $"{r}: feature {i} is {actual[i]}, reference {expected[i]}");
        }
    }
}
