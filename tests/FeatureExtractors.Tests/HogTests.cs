namespace ImageWorkbench.FeatureExtractors.Tests;

public class HogTests
{
    public static TheoryData<string> SkimageCases()
    {
        var d = new TheoryData<string>();
        foreach (HogReference r in SkimageHogExpected.Cases)
        {
            d.Add(r.Name);
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(SkimageCases))]
    public void Matches_scikit_image(string name)
    {
        HogReference r = SkimageHogExpected.Cases.Single(c => c.Name == name);
        var shape = new ImageShape(r.Width, r.Height, r.Channels);
        float[] img = TestImages.Get(r.Name, r.Width, r.Height, r.Channels);
        Hog hog = HogOptions.ScikitImage(r.Cell, r.Block).CreateHog(shape);
        Assert.Equal(r.Length, hog.OutputLength);
        var v = new float[hog.OutputLength];
        hog.Extract(img, v);

        foreach (var (index, value) in r.Entries)
        {
            Assert.True(Math.Abs(v[index] - value) < 2e-5, $"{name}[{index}] = {v[index]}, scikit-image {value}");
        }

        double sum = 0, sumSq = 0, check = 0;
        for (int i = 0; i < v.Length; i++)
        {
            sum += v[i];
            sumSq += v[i] * (double)v[i];
            check += v[i] * (double)(i * 7919 % 101);
        }

        Assert.Equal(r.Sum, sum, r.Sum * 1e-5);
        Assert.Equal(r.SumOfSquares, sumSq, r.SumOfSquares * 1e-5);
        Assert.Equal(r.Checksum, check, r.Checksum * 1e-5);
    }

    private static float[] CellsOf(float[] img, ImageShape shape, HogOptions o)
    {
        Hog hog = o.CreateHog(shape);
        var cells = new float[hog.CellHistogramLength];
        hog.ComputeCellHistograms(img, cells);
        return cells;
    }

    private static float[] Ramp(int w, int h, float ax, float ay)
    {
        var a = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                a[(y * w) + x] = (ax * x) + (ay * y);
            }
        }

        return a;
    }

    [Fact]
    public void Linear_vote_splits_angle_zero_between_first_and_last_bin()
    {
        // gx = 0.02 - 0 = 2 * 0.01 everywhere inside; angle 0 lies halfway between the centres 10 and 170 degrees
        var shape = new ImageShape(12, 12, 1);
        float[] cells = CellsOf(Ramp(12, 12, 0.01f, 0f), shape, new HogOptions { CellSize = 4, BlockSize = 1 });
        Span<float> mid = cells.AsSpan(((1 * 3) + 1) * 9, 9); // centre cell, away from the border
        Assert.Equal(0.01f, mid[0], 1e-6f);
        Assert.Equal(0.01f, mid[8], 1e-6f);
        for (int b = 1; b < 8; b++)
        {
            Assert.Equal(0f, mid[b]);
        }
    }

    [Fact]
    public void Linear_vote_at_a_bin_centre_goes_to_that_bin()
    {
        // gradient straight down (90 degrees) = centre of bin 4 of 9 (80..100)
        var shape = new ImageShape(12, 12, 1);
        float[] cells = CellsOf(Ramp(12, 12, 0f, 0.01f), shape, new HogOptions { CellSize = 4, BlockSize = 1 });
        Span<float> mid = cells.AsSpan(4 * 9, 9);
        Assert.Equal(0.02f, mid[4], 1e-6f);
        Assert.Equal(0f, mid[3] + mid[5], 1e-6f);
    }

    [Fact]
    public void Linear_vote_splits_45_degrees_a_quarter_and_three_quarters()
    {
        // 45 degrees, 9 bins of 20: position 45/20 - 0.5 = 1.75 -> bin 1 (30) gets 0.25, bin 2 (50) gets 0.75
        var shape = new ImageShape(12, 12, 1);
        float[] cells = CellsOf(Ramp(12, 12, 0.01f, 0.01f), shape, new HogOptions { CellSize = 4, BlockSize = 1 });
        Span<float> mid = cells.AsSpan(4 * 9, 9);
        float m = 0.02f * MathF.Sqrt(2f);
        Assert.Equal(0.25f * m, mid[1], 1e-5f);
        Assert.Equal(0.75f * m, mid[2], 1e-5f);
        Assert.Equal(m, mid.ToArray().Sum(), 1e-5f);

        // nearest vote puts all of it into bin 2 (40..60)
        float[] nearest = CellsOf(Ramp(12, 12, 0.01f, 0.01f), shape, new HogOptions { CellSize = 4, BlockSize = 1, Vote = HogVote.Nearest });
        Assert.Equal(m, nearest[(4 * 9) + 2], 1e-5f);
        Assert.Equal(m, nearest.AsSpan(4 * 9, 9).ToArray().Sum(), 1e-5f);
    }

    [Fact]
    public void Signed_linear_vote_wraps_around_the_full_circle()
    {
        // 4 signed bins centred at 45, 135, 225, 315; a gradient pointing left (180) splits between 135 and 225,
        // one pointing right (0) between 315 and 45.
        var shape = new ImageShape(12, 12, 1);
        var o = new HogOptions { CellSize = 4, BlockSize = 1, Bins = 4, Signed = true };
        float[] left = CellsOf(Ramp(12, 12, -0.01f, 0f), shape, o);
        Assert.Equal(new[] { 0f, 0.01f, 0.01f, 0f }, left.AsSpan(4 * 4, 4).ToArray().Select(v => MathF.Round(v, 6)));
        float[] right = CellsOf(Ramp(12, 12, 0.01f, 0f), shape, o);
        Assert.Equal(new[] { 0.01f, 0f, 0f, 0.01f }, right.AsSpan(4 * 4, 4).ToArray().Select(v => MathF.Round(v, 6)));
    }

    [Fact]
    public void Output_length_layout_and_L2Hys_norm()
    {
        var o = new HogOptions { CellSize = 4, BlockSize = 2, Bins = 9 };
        var shape = new ImageShape(28, 28, 1);
        Assert.Equal(6 * 6 * 2 * 2 * 9, o.GetOutputLength(shape));
        Hog hog = o.CreateHog(shape);
        Assert.Equal((7, 7, 6, 6), (hog.CellsX, hog.CellsY, hog.BlocksX, hog.BlocksY));
        float[] img = TestImages.Lcg(5, 28, 28);
        var v = new float[hog.OutputLength];
        hog.Extract(img, v);
        var cells = new float[hog.CellHistogramLength];
        hog.ComputeCellHistograms(img, cells);

        // block (1, 2) = cells (1,2) (1,3) (2,2) (2,3), L2-Hys normalised
        var block = new List<float>();
        foreach (var (cy, cx) in new[] { (1, 2), (1, 3), (2, 2), (2, 3) })
        {
            block.AddRange(cells.AsSpan(((cy * 7) + cx) * 9, 9).ToArray());
        }

        double n1 = Math.Sqrt(block.Sum(x => (double)x * x) + 1e-10);
        double[] clipped = block.Select(x => Math.Min(x / n1, 0.2)).ToArray();
        double n2 = Math.Sqrt(clipped.Sum(x => x * x) + 1e-10);
        int offset = ((1 * 6) + 2) * 36;
        for (int i = 0; i < 36; i++)
        {
            Assert.Equal(clipped[i] / n2, v[offset + i], 1e-5);
        }

        for (int b = 0; b < 36; b++)
        {
            double norm = Math.Sqrt(v.AsSpan(b * 36, 36).ToArray().Sum(x => (double)x * x));
            Assert.Equal(1.0, norm, 1e-4);
        }
    }

    [Fact]
    public void Blank_image_gives_zeros_not_NaN()
    {
        Hog hog = new HogOptions { CellSize = 4 }.CreateHog(new ImageShape(28, 28, 3));
        var v = new float[hog.OutputLength];
        v.AsSpan().Fill(float.NaN);
        hog.Extract(new float[28 * 28 * 3], v);
        Assert.All(v, x => Assert.Equal(0f, x));
    }

    [Fact]
    public void Too_small_image_and_bad_options_throw()
    {
        Assert.ThrowsAny<ArgumentException>(() => new HogOptions { CellSize = 8, BlockSize = 2 }.CreateHog(new ImageShape(15, 32, 1)));
        Assert.ThrowsAny<ArgumentException>(() => new HogOptions { Bins = 1 }.CreateHog(new ImageShape(32, 32, 1)));
        Hog hog = new HogOptions().CreateHog(new ImageShape(32, 32, 1));
        Assert.ThrowsAny<ArgumentException>(() => hog.Extract(new float[32 * 31], new float[hog.OutputLength]));
        Assert.ThrowsAny<ArgumentException>(() => hog.Extract(new float[32 * 32], new float[hog.OutputLength - 1]));
    }

    [Fact]
    public void Name_lists_the_options()
    {
        Assert.Equal("hog(cell=4,block=2,bins=9,unsigned,diff,replicate,vote=linear,l2hys=0.2)", new HogOptions { CellSize = 4 }.Name);
        Assert.Equal("hog(cell=8,block=3,bins=9,unsigned,diff,zeroborder,vote=nearest,l2hys=0.2)", HogOptions.ScikitImage(8, 3).Name);
    }

    [Fact]
    public void Glyph_draws_lines_perpendicular_to_the_gradient()
    {
        // one cell, 2 unsigned bins: bin 0 centre 45 degrees, bin 1 centre 135; only bin 1 set
        // bin 1's gradient points down-left, so its line runs along the main diagonal (top-left to bottom-right)
        var (w, h) = HogGlyph.GetOutputSize(1, 1, 4, 4);
        Assert.Equal((16, 16), (w, h));
        var img = new float[w * h];
        HogGlyph.Render([0f, 2f], 1, 1, 2, false, 4, 4, img);
        Assert.Equal(1f, img[(3 * w) + 3]);
        Assert.Equal(1f, img[(12 * w) + 12]);
        Assert.Equal(0f, img[(3 * w) + 12]);
        Assert.Equal(0f, img[(12 * w) + 3]);

        // a vertical edge (gradient along x, angle ~0) draws a vertical line through the centre
        Hog hog = new HogOptions { CellSize = 4, BlockSize = 1, Vote = HogVote.Nearest }.CreateHog(new ImageShape(4, 4, 1));
        var cells = new float[hog.CellHistogramLength];
        hog.ComputeCellHistograms(Ramp(4, 4, 0.1f, 0f), cells);
        var glyph = new float[16 * 16];
        HogGlyph.Render(hog, cells, 4, glyph);
        Assert.True(glyph.AsSpan((2 * 16) + 6, 5).ToArray().Max() > 0.9f); // near-vertical line (bin centre 10 degrees)
        Assert.Equal(0f, glyph[(8 * 16) + 1]);
        Assert.Equal(0f, glyph[(8 * 16) + 14]);

        HogGlyph.Render(new float[hog.CellHistogramLength], 1, 1, 9, false, 4, 4, glyph);
        Assert.All(glyph, v => Assert.Equal(0f, v));
    }
}

public class HogRobustnessTests
{
    [Fact]
    public void NaN_and_infinite_pixels_do_not_break_the_worker()
    {
        var shape = new ImageShape(28, 28, 1);
        Hog hog = new HogOptions { CellSize = 4 }.CreateHog(shape);
        float[] img = TestImages.Lcg(1, 28, 28);
        img[100] = float.NaN;
        img[300] = float.PositiveInfinity;
        img[301] = float.NegativeInfinity;
        var v = new float[hog.OutputLength];
        hog.Extract(img, v); // must not throw or write out of range

        // and the worker is still correct afterwards
        float[] clean = TestImages.Lcg(2, 28, 28);
        var a = new float[hog.OutputLength];
        var b = new float[hog.OutputLength];
        hog.Extract(clean, a);
        new HogOptions { CellSize = 4 }.CreateHog(shape).Extract(clean, b);
        Assert.Equal(b, a);
    }
}
