using System.Numerics.Tensors;

namespace FeatureExtractors;

/// <summary>
/// Intensity / colour statistics. For each channel: mean, standard deviation (population) and a
/// <see cref="HistogramBins"/>-bin histogram of values over [0, 1] (fractions of pixels; values outside are
/// clamped into the end bins). For RGB images, when <see cref="HueBins"/> &gt; 0, also an HSV hue histogram in
/// which each pixel votes with its saturation (so grey pixels, whose hue is meaningless, add nothing; the bins
/// sum to the mean saturation), followed by a <see cref="SaturationBins"/>-bin saturation histogram (fractions).
/// Output: <c>C * (2 + HistogramBins) + (C == 3 ? HueBins + SaturationBins : 0)</c>.
/// </summary>
public sealed record ColourStatisticsOptions : IFeatureExtractorOptions
{
    /// <summary>Bins of the per-channel value histogram (0 for none).</summary>
    public int HistogramBins { get; init; } = 8;

    /// <summary>Hue bins for RGB images (0 for none); bin 0 starts at red.</summary>
    public int HueBins { get; init; } = 8;

    /// <summary>Saturation bins for RGB images (0 for none).</summary>
    public int SaturationBins { get; init; } = 4;

    /// <inheritdoc/>
    public string Name => $"stats(bins={HistogramBins},hue={HueBins},sat={SaturationBins})";

    /// <summary>Intensity statistics only (no hue/saturation part), for grey images.</summary>
    public static ColourStatisticsOptions Intensity(int histogramBins = 8) =>
        new() { HistogramBins = histogramBins, HueBins = 0, SaturationBins = 0 };

    /// <inheritdoc/>
    public int GetOutputLength(ImageShape shape)
    {
        shape.Validate();
        if (HistogramBins < 0 || HueBins < 0 || SaturationBins < 0)
        {
            throw new ArgumentException("histogram bin counts must not be negative");
        }

        return (shape.Channels * (2 + HistogramBins)) + (shape.Channels == 3 ? HueBins + SaturationBins : 0);
    }

    /// <inheritdoc/>
    public IFeatureExtractor CreateExtractor(ImageShape shape) => new ColourStatistics(this, shape);
}

/// <summary>Colour / intensity statistics worker (see <see cref="ColourStatisticsOptions"/>).</summary>
public sealed class ColourStatistics : IFeatureExtractor
{
    private readonly ColourStatisticsOptions _o;

    internal ColourStatistics(ColourStatisticsOptions options, ImageShape shape)
    {
        OutputLength = options.GetOutputLength(shape);
        _o = options;
        InputShape = shape;
        Name = options.Name;
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
        if (image.Length != InputShape.Length)
        {
            throw new ArgumentException($"image buffer holds {image.Length} floats, a {InputShape} image needs {InputShape.Length}", nameof(image));
        }

        if (features.Length < OutputLength)
        {
            throw new ArgumentException($"features buffer holds {features.Length} floats, {OutputLength} are needed", nameof(features));
        }

        int plane = InputShape.PlaneLength, bins = _o.HistogramBins, o = 0;
        float inv = 1f / plane;
        for (int c = 0; c < InputShape.Channels; c++)
        {
            ReadOnlySpan<float> p = image.Slice(c * plane, plane);
            float mean = TensorPrimitives.Sum(p) * inv;
            float var = (TensorPrimitives.SumOfSquares(p) * inv) - (mean * mean);
            features[o++] = mean;
            features[o++] = MathF.Sqrt(MathF.Max(var, 0f));
            if (bins > 0)
            {
                Span<float> hist = features.Slice(o, bins);
                Histogram(p, hist);
                TensorPrimitives.Multiply(hist, inv, hist);
                o += bins;
            }
        }

        if (InputShape.Channels == 3 && _o.HueBins + _o.SaturationBins > 0)
        {
            HueSaturation(image[..plane], image.Slice(plane, plane), image.Slice(2 * plane, plane),
                features.Slice(o, _o.HueBins), features.Slice(o + _o.HueBins, _o.SaturationBins), inv);
        }
    }

    private static void Histogram(ReadOnlySpan<float> values, Span<float> hist)
    {
        hist.Clear();
        int bins = hist.Length;
        float scale = bins;
        foreach (float v in values)
        {
            hist[Bin(v * scale, bins)] += 1f;
        }
    }

    private void HueSaturation(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<float> hue, Span<float> sat, float inv)
    {
        hue.Clear();
        sat.Clear();
        int hueBins = _o.HueBins, satBins = _o.SaturationBins;
        for (int i = 0; i < r.Length; i++)
        {
            float rv = r[i], gv = g[i], bv = b[i];
            float max = MathF.Max(rv, MathF.Max(gv, bv));
            float min = MathF.Min(rv, MathF.Min(gv, bv));
            float chroma = max - min;
            float s = max > 0f ? chroma / max : 0f;
            if (satBins > 0)
            {
                sat[Bin(s * satBins, satBins)] += 1f;
            }

            if (hueBins > 0 && chroma > 0f)
            {
                // hue in sextants [0, 6)
                float h = max == rv ? (gv - bv) / chroma : max == gv ? 2f + ((bv - rv) / chroma) : 4f + ((rv - gv) / chroma);
                if (h < 0f)
                {
                    h += 6f;
                }

                hue[Bin(h * (hueBins / 6f), hueBins)] += s;
            }
        }

        TensorPrimitives.Multiply(hue, inv, hue);
        TensorPrimitives.Multiply(sat, inv, sat);
    }

    private static int Bin(float scaled, int bins)
    {
        // NaN and negatives go to bin 0, values >= bins to the last bin
        if (!(scaled > 0f))
        {
            return 0;
        }

        int b = (int)scaled;
        return b < bins ? b : bins - 1;
    }
}
