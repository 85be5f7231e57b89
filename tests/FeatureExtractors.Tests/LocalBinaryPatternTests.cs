namespace ImageWorkbench.FeatureExtractors.Tests;

public class LocalBinaryPatternTests
{
    public static TheoryData<int> SkimageCases()
    {
        var d = new TheoryData<int>();
        for (int i = 0; i < SkimageLbpExpected.Cases.Length; i++)
        {
            d.Add(i);
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(SkimageCases))]
    public void Codes_match_scikit_image_pixel_for_pixel(int index)
    {
        LbpReference r = SkimageLbpExpected.Cases[index];
        var shape = new ImageShape(r.Width, r.Height, r.Channels);
        var lbp = (LocalBinaryPattern)new LocalBinaryPatternOptions { Points = r.Points, Radius = r.Radius, GridX = 1, GridY = 1 }.CreateExtractor(shape);
        var codes = new byte[shape.PlaneLength];
        lbp.ComputeCodes(TestImages.Get(r.Name, r.Width, r.Height, r.Channels), codes);

        string actual = string.Concat(codes.Select(c => "0123456789abcdefghijklmnopqrstuvwxyz"[c]));
        int firstDifference = Enumerable.Range(0, actual.Length).FirstOrDefault(i => actual[i] != r.Codes[i], -1);
        Assert.True(firstDifference < 0, $"{r}: pixel {firstDifference} has code {actual[Math.Max(firstDifference, 0)]}, scikit-image {r.Codes[Math.Max(firstDifference, 0)]}");
    }

    [Fact]
    public void Cell_histograms_are_the_shares_of_each_code()
    {
        LbpReference r = SkimageLbpExpected.Cases.First(c => c.Name == "Random28" && c.Points == 8);
        var shape = new ImageShape(28, 28, 1);
        var options = new LocalBinaryPatternOptions { GridX = 2, GridY = 2 };
        IFeatureExtractor lbp = options.CreateExtractor(shape);
        Assert.Equal(2 * 2 * 10, lbp.OutputLength);
        var v = new float[lbp.OutputLength];
        lbp.Extract(TestImages.Get(r.Name, 28, 28, 1), v);

        // The bottom-right cell (rows and columns 14..27) counted from the reference codes.
        var expected = new float[10];
        for (int y = 14; y < 28; y++)
        {
            for (int x = 14; x < 28; x++)
            {
                expected[r.Codes[(y * 28) + x] - '0'] += 1f / (14 * 14);
            }
        }

        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(expected[i], v[30 + i], 1e-6f);
        }

        for (int cell = 0; cell < 4; cell++)
        {
            Assert.Equal(1f, v.AsSpan(cell * 10, 10).ToArray().Sum(), 1e-5f);
        }
    }

    [Fact]
    public void A_flat_image_is_all_one_code()
    {
        // Every neighbour equals its centre inside (code P); at the border the outside counts as 0, darker.
        var shape = new ImageShape(16, 16, 1);
        var lbp = (LocalBinaryPattern)new LocalBinaryPatternOptions().CreateExtractor(shape);
        var codes = new byte[shape.PlaneLength];
        lbp.ComputeCodes(Enumerable.Repeat(0.5f, shape.Length).ToArray(), codes);
        Assert.Equal(8, codes[(5 * 16) + 5]);
        Assert.NotEqual(8, codes[0]);
    }

    [Theory]
    [InlineData(3, 1f, 4, 4)]
    [InlineData(8, 0f, 4, 4)]
    [InlineData(8, 1f, 0, 4)]
    [InlineData(8, 1f, 4, 29)]
    public void Bad_options_are_refused(int points, float radius, int gridX, int gridY) =>
        Assert.Throws<ArgumentException>(() => new LocalBinaryPatternOptions { Points = points, Radius = radius, GridX = gridX, GridY = gridY }.GetOutputLength(new ImageShape(28, 28, 1)));
}
