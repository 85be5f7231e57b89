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

    public static TheoryData<int, MomentsArithmetic> CasesByArithmetic()
    {
        var d = new TheoryData<int, MomentsArithmetic>();
        for (int i = 0; i < SkimageColourExpected.Cases.Length; i++)
        {
            foreach (MomentsArithmetic a in Enum.GetValues<MomentsArithmetic>())
            {
                d.Add(i, a);
            }
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(CasesByArithmetic))]
    public void Lab_moments_on_a_pyramid_match_scikit_image(int index, MomentsArithmetic arithmetic)
    {
        ColourReference r = SkimageColourExpected.Cases[index];
        // Lab spans about 0..100 (L) and -100..100 (a, b); both conversions stay well inside 0.01 of it.
        AssertClose(r, Extract(new ColourMomentsOptions { Levels = [1, 2, 4], Space = ColourSpace.Lab, Arithmetic = arithmetic }, r), r.LabMoments124, 0.01f);
    }

    [Theory]
    [MemberData(nameof(CasesByArithmetic))]
    public void Hsv_and_rgb_moments_match_numpy(int index, MomentsArithmetic arithmetic)
    {
        ColourReference r = SkimageColourExpected.Cases[index];
        AssertClose(r, Extract(new ColourMomentsOptions { Levels = [1, 2, 4], Space = ColourSpace.Hsv, Arithmetic = arithmetic }, r), r.HsvMoments124, 1e-4f);
        AssertClose(r, Extract(new ColourMomentsOptions { Levels = [1, 3], Space = ColourSpace.Rgb, Arithmetic = arithmetic }, r), r.RgbMoments13, 1e-4f);
    }

    [Theory]
    [InlineData(new[] { 1, 2, 4 })]
    [InlineData(new[] { 3, 1 })]
    public void Both_arithmetics_agree_on_a_grey_image(int[] levels)
    {
        var shape = new ImageShape(30, 26, 1);
        float[] image = TestImages.Lcg(31, shape.Width, shape.Height);
        float[] a = Extract(new ColourMomentsOptions { Levels = levels, Arithmetic = MomentsArithmetic.Tabulated }, shape, image);
        float[] b = Extract(new ColourMomentsOptions { Levels = levels, Arithmetic = MomentsArithmetic.Vectorised }, shape, image);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i], b[i], 1e-4f);
        }
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Lab_conversion_of_primaries_matches_the_cie_figures(bool tabulated)
    {
        // sRGB white, red and mid grey in Lab (D65), as scikit-image gives them.
        float[] rgb = [1f, 1f, 0.5f, 1f, 0f, 0.5f, 1f, 0f, 0.5f];
        var lab = new float[9];
        if (tabulated)
        {
            ColourSpaces.RgbToLabTabulated(rgb, lab, 3);
        }
        else
        {
            ColourSpaces.RgbToLab(rgb, lab, 3);
        }

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
    public void Options_reject_what_does_not_fit()
    {
        Assert.Throws<ArgumentException>(() => new ColourMomentsOptions { Levels = [] }.GetOutputLength(new ImageShape(8, 8, 3)));
        Assert.Throws<ArgumentException>(() => new ColourMomentsOptions { Levels = [16] }.GetOutputLength(new ImageShape(8, 8, 3)));
        Assert.Throws<ArgumentException>(() => new HsvHistogramOptions().GetOutputLength(new ImageShape(8, 8, 1)));
        Assert.Equal(21 * 3, new ColourMomentsOptions().GetOutputLength(new ImageShape(8, 8, 1)));
        Assert.Equal(new ColourMomentsOptions { Levels = [1, 2] }, new ColourMomentsOptions { Levels = [1, 2] });
        Assert.NotEqual(new ColourMomentsOptions(), new ColourMomentsOptions { Arithmetic = MomentsArithmetic.Vectorised });
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
