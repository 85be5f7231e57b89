using System.Buffers.Binary;
using System.IO.Compression;

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

    /// <summary>Points, radius, width, height, channels: the presets' shapes, tables of 2^P codes and none (P = 24), all-whole neighbours (P = 4), odd and tiny sizes.</summary>
    public static TheoryData<int, float, int, int, int> Layouts() => new()
    {
        { 8, 1f, 28, 28, 1 },
        { 16, 2f, 28, 28, 1 },
        { 8, 1.5f, 28, 28, 1 },
        { 8, 1f, 64, 64, 3 },
        { 12, 1.5f, 31, 19, 3 },
        { 24, 3f, 17, 13, 1 },
        { 4, 1f, 9, 7, 1 },
        { 6, 2.5f, 5, 3, 3 },
        { 8, 1f, 2, 5, 1 },
        { 8, 8f, 3, 11, 1 },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Every_vector_width_gives_the_scalar_codes_and_histograms(int points, float radius, int width, int height, int channels)
    {
        var shape = new ImageShape(width, height, channels);
        var options = new LocalBinaryPatternOptions { Points = points, Radius = radius, GridX = Math.Min(width, 3), GridY = Math.Min(height, 4) };
        var lbp = (LocalBinaryPattern)options.CreateExtractor(shape);
        var expected = new byte[shape.PlaneLength];
        var actual = new byte[shape.PlaneLength];
        var features = new float[lbp.OutputLength];
        // every width that fits a row, hardware-accelerated or not: an emulated vector computes the same numbers
        LbpLanes[] widths = [.. new[] { LbpLanes.Vector128, LbpLanes.Vector256, LbpLanes.Vector512 }.Where(l => (int)l <= width)];
        Assert.NotEmpty(widths);
        foreach ((string name, float[] image) in Images(shape))
        {
            lbp.ComputeCodes(image, expected, LbpLanes.Scalar);
            foreach (LbpLanes lanes in widths)
            {
                lbp.ComputeCodes(image, actual, lanes);
                int first = Enumerable.Range(0, expected.Length).FirstOrDefault(i => actual[i] != expected[i], -1);
                Assert.True(first < 0, $"{name} {shape} P={points} R={radius} {lanes}: pixel {first} has code {actual[Math.Max(first, 0)]}, scalar {expected[Math.Max(first, 0)]}");
            }

            lbp.Extract(image, features);
            Assert.Equal(ScalarHistograms(expected, width, height, options), features);
        }
    }

    [Fact]
    public void The_fastest_width_fits_the_row()
    {
        Assert.Equal(LbpLanes.Scalar, LocalBinaryPattern.FastestLanes(1));
        Assert.True((int)LocalBinaryPattern.FastestLanes(28) <= 28);
        Assert.True((int)LocalBinaryPattern.FastestLanes(3) <= 3);
        var lbp = (LocalBinaryPattern)new LocalBinaryPatternOptions { GridX = 1, GridY = 1 }.CreateExtractor(new ImageShape(3, 3, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => lbp.ComputeCodes(new float[9], new byte[9], LbpLanes.Vector256));
    }

    /// <summary>Random (continuous and quantised to 1/255, which makes ties), flat, striped, non-finite and, at 28x28, real Fashion-MNIST images.</summary>
    private static IEnumerable<(string Name, float[] Image)> Images(ImageShape shape)
    {
        for (int seed = 1; seed <= 6; seed++)
        {
            yield return ($"random {seed}", TestImages.Lcg(seed, shape.Width, shape.Height, shape.Channels));
            yield return ($"random 1/255 {seed}", [.. TestImages.Lcg(100 + seed, shape.Width, shape.Height, shape.Channels).Select(v => MathF.Round(v * 255f) / 255f)]);
            yield return ($"random 1/4 {seed}", [.. TestImages.Lcg(200 + seed, shape.Width, shape.Height, shape.Channels).Select(v => MathF.Floor(v * 4f) / 4f)]);
        }

        yield return ("flat", Enumerable.Repeat(0.3f, shape.Length).ToArray());
        yield return ("stripes", [.. Enumerable.Range(0, shape.Length).Select(i => i % 3 == 0 ? 0.1f : 0.7f)]);
        float[] odd = TestImages.Lcg(9, shape.Width, shape.Height, shape.Channels);
        odd[0] = float.NaN;
        odd[odd.Length / 2] = float.PositiveInfinity;
        odd[^1] = float.NegativeInfinity;
        yield return ("non-finite", odd);
        if (shape == new ImageShape(28, 28, 1))
        {
            float[] fashion = FashionMnistMiniTestImages();
            for (int i = 0; i < fashion.Length / 784; i++)
            {
                yield return ($"fashion-mnist-mini test image {i}", fashion[(i * 784)..((i + 1) * 784)]);
            }
        }
    }

    /// <summary>The old Extract: a float 1 added per code into its cell, then each cell scaled by 1 / its pixels.</summary>
    private static float[] ScalarHistograms(byte[] codes, int width, int height, LocalBinaryPatternOptions options)
    {
        int[] xs = [.. Enumerable.Range(0, options.GridX + 1).Select(i => i * width / options.GridX)];
        int[] ys = [.. Enumerable.Range(0, options.GridY + 1).Select(i => i * height / options.GridY)];
        var f = new float[options.GridX * options.GridY * options.Codes];
        for (int gy = 0; gy < options.GridY; gy++)
        {
            for (int gx = 0; gx < options.GridX; gx++)
            {
                Span<float> hist = f.AsSpan(((gy * options.GridX) + gx) * options.Codes, options.Codes);
                for (int y = ys[gy]; y < ys[gy + 1]; y++)
                {
                    for (int x = xs[gx]; x < xs[gx + 1]; x++)
                    {
                        hist[codes[(y * width) + x]] += 1f;
                    }
                }

                float inv = 1f / ((xs[gx + 1] - xs[gx]) * (ys[gy + 1] - ys[gy]));
                for (int i = 0; i < hist.Length; i++)
                {
                    hist[i] *= inv;
                }
            }
        }

        return f;
    }

    /// <summary>The 500 test images of the embedded datasets/fashion-mnist-mini (IDX3, gzip), pixel / 255.</summary>
    private static float[] FashionMnistMiniTestImages()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
        {
            dir = dir.Parent;
        }

        string path = Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("Pipeline.sln not found above the test assembly"), "datasets", "fashion-mnist-mini", "t10k-images-idx3-ubyte.gz");
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var bytes = new MemoryStream();
        gz.CopyTo(bytes);
        byte[] b = bytes.ToArray();
        Assert.Equal(0x803, BinaryPrimitives.ReadInt32BigEndian(b));
        Assert.Equal(28, BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(8)));
        return [.. b.Skip(16).Select(v => v / 255f)];
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
