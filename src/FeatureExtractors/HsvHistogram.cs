using System.Numerics;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// Joint colour histogram in HSV (scikit-image's <c>rgb2hsv</c>): hue, saturation and value each cut into equal bins
/// over 0..1 (<see cref="HueBins"/> x <see cref="SaturationBins"/> x <see cref="ValueBins"/>), the output the share
/// of the image's pixels in each (a value of exactly 1 goes to the last bin). Perceptual where RGB histograms are
/// not: a red shirt in shade and in sun share the hue bin and differ in value only. Grey pixels have hue 0 and
/// saturation 0, so they spread over the value bins of the first hue and saturation bin. RGB images only.
/// Output: <c>HueBins * SaturationBins * ValueBins</c>, hue outermost, value innermost.
/// </summary>
public sealed record HsvHistogramOptions : IFeatureExtractorOptions
{
    /// <summary>Hue bins (bin 0 starts at red).</summary>
    public int HueBins { get; init; } = 8;

    /// <summary>Saturation bins.</summary>
    public int SaturationBins { get; init; } = 3;

    /// <summary>Value (brightness) bins.</summary>
    public int ValueBins { get; init; } = 3;

    /// <inheritdoc/>
    public string Name => $"hsv-hist(h={HueBins},s={SaturationBins},v={ValueBins})";

    /// <inheritdoc/>
    public int GetOutputLength(ImageShape shape)
    {
        shape.Validate();
        if (shape.Channels != 3)
        {
            throw new ArgumentException($"an HSV histogram needs an RGB image, got {shape}");
        }

        if (HueBins < 1 || SaturationBins < 1 || ValueBins < 1 || HueBins * SaturationBins * ValueBins > 4096)
        {
            throw new ArgumentException($"HSV bins must be at least 1 each and at most 4096 in all, got {HueBins}x{SaturationBins}x{ValueBins}");
        }

        return HueBins * SaturationBins * ValueBins;
    }

    /// <inheritdoc/>
    public IFeatureExtractor CreateExtractor(ImageShape shape) => new HsvHistogram(this, shape);
}

/// <summary>
/// HSV histogram worker (see <see cref="HsvHistogramOptions"/>): <see cref="ColourSpaces.RgbToHsv"/>, then a vector pass
/// that turns each pixel's three values into its bin index, then a scalar count into <see cref="Copies"/> interleaved
/// histograms (neighbouring pixels, often in the same bin, never wait on each other's increment).
/// </summary>
public sealed class HsvHistogram : IFeatureExtractor
{
    private const int Copies = 4;
    private readonly HsvHistogramOptions _o;
    private readonly float[] _hsv;
    private readonly int[] _bins, _counts;

    internal HsvHistogram(HsvHistogramOptions options, ImageShape shape)
    {
        OutputLength = options.GetOutputLength(shape);
        _o = options;
        InputShape = shape;
        Name = options.Name;
        _hsv = new float[shape.Length];
        _bins = new int[shape.PlaneLength];
        _counts = new int[Copies * OutputLength];
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public ImageShape InputShape { get; }

    /// <inheritdoc/>
    public int OutputLength { get; }

    /// <inheritdoc/>
    public void Extract(ReadOnlySpan<float> image, Span<float> features)
    {
        ExtractorBuffers.Check(this, image, features);
        int plane = InputShape.PlaneLength, hb = _o.HueBins, sb = _o.SaturationBins, vb = _o.ValueBins, len = OutputLength;
        ColourSpaces.RgbToHsv(image, _hsv, plane);
        ReadOnlySpan<float> h = _hsv.AsSpan(0, plane), s = _hsv.AsSpan(plane, plane), v = _hsv.AsSpan(2 * plane, plane);
        Span<int> bins = _bins;
        int width = Vector<float>.Count, i = 0;
        for (; i <= plane - width; i += width)
        {
            Vector<int> bin = (((Bin(new Vector<float>(h[i..]), hb) * sb) + Bin(new Vector<float>(s[i..]), sb)) * vb) + Bin(new Vector<float>(v[i..]), vb);
            bin.CopyTo(bins[i..]);
        }

        for (; i < plane; i++)
        {
            bins[i] = (((Bin(h[i], hb) * sb) + Bin(s[i], sb)) * vb) + Bin(v[i], vb);
        }

        Span<int> counts = _counts;
        counts.Clear();
        for (i = 0; i < plane; i++)
        {
            counts[((i & (Copies - 1)) * len) + bins[i]]++;
        }

        Span<float> hist = features[..len];
        float inv = 1f / plane;
        for (int b = 0; b < len; b++)
        {
            hist[b] = (counts[b] + counts[len + b] + counts[(2 * len) + b] + counts[(3 * len) + b]) * inv;
        }
    }

    /// <summary>The bin of a value in 0..1 of <paramref name="bins"/> equal bins (1 and above in the last; NaN and below 0 in the first).</summary>
    private static int Bin(float value, int bins) => Math.Clamp((int)(value * bins), 0, bins - 1);

    private static Vector<int> Bin(Vector<float> value, int bins) =>
        Vector.Min(Vector.Max(Vector.ConvertToInt32(value * bins), Vector<int>.Zero), new Vector<int>(bins - 1));
}
