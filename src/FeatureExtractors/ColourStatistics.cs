using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageWorkbench.FeatureExtractors;

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
    private readonly float[] _hue, _sat;

    internal ColourStatistics(ColourStatisticsOptions options, ImageShape shape)
    {
        OutputLength = options.GetOutputLength(shape);
        _o = options;
        _hue = shape.Channels == 3 ? new float[shape.PlaneLength] : [];
        _sat = shape.Channels == 3 ? new float[shape.PlaneLength] : [];
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
        ExtractorBuffers.Check(this, image, features);

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

    private static void Histogram(ReadOnlySpan<float> values, Span<float> hist) =>
        VectorHistogram.Count(values, 1f / hist.Length, hist);

    private void HueSaturation(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<float> hue, Span<float> sat, float inv)
    {
        int n = r.Length, i = 0;
        Span<float> hs = _hue, ss = _sat;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float rr = ref MemoryMarshal.GetReference(r);
            ref float rg = ref MemoryMarshal.GetReference(g);
            ref float rb = ref MemoryMarshal.GetReference(b);
            ref float rh = ref MemoryMarshal.GetReference(hs);
            ref float rs = ref MemoryMarshal.GetReference(ss);
            Vector256<float> zero = Vector256<float>.Zero, two = Vector256.Create(2f), four = Vector256.Create(4f), six = Vector256.Create(6f);
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> rv = Vector256.LoadUnsafe(ref rr, (nuint)i), gv = Vector256.LoadUnsafe(ref rg, (nuint)i), bv = Vector256.LoadUnsafe(ref rb, (nuint)i);
                Vector256<float> max = Vector256.Max(rv, Vector256.Max(gv, bv));
                Vector256<float> min = Vector256.Min(rv, Vector256.Min(gv, bv));
                Vector256<float> chroma = max - min;
                Vector256<float> hasChroma = Vector256.GreaterThan(chroma, zero);
                Vector256<float> s = hasChroma & (chroma / max); // chroma > 0 implies max > 0
                Vector256<float> h = Vector256.ConditionalSelect(Vector256.Equals(max, rv), (gv - bv) / chroma,
                    Vector256.ConditionalSelect(Vector256.Equals(max, gv), two + ((bv - rv) / chroma), four + ((rv - gv) / chroma)));
                h = Vector256.ConditionalSelect(Vector256.LessThan(h, zero), h + six, h);
                (hasChroma & h).StoreUnsafe(ref rh, (nuint)i);
                s.StoreUnsafe(ref rs, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float rv = r[i], gv = g[i], bv = b[i];
            float max = MathF.Max(rv, MathF.Max(gv, bv));
            float min = MathF.Min(rv, MathF.Min(gv, bv));
            float chroma = max - min;
            if (chroma > 0f)
            {
                float h = max == rv ? (gv - bv) / chroma : max == gv ? 2f + ((bv - rv) / chroma) : 4f + ((rv - gv) / chroma);
                hs[i] = h < 0f ? h + 6f : h;
                ss[i] = chroma / max;
            }
            else
            {
                hs[i] = 0f;
                ss[i] = 0f;
            }
        }

        // hue in sextants [0, 6), each pixel weighted by its saturation (grey pixels weigh 0)
        if (hue.Length > 0)
        {
            VectorHistogram.Weighted(hs, ss, 6f / hue.Length, hue);
            TensorPrimitives.Multiply(hue, inv, hue);
        }

        if (sat.Length > 0)
        {
            VectorHistogram.Count(ss, 1f / sat.Length, sat);
            TensorPrimitives.Multiply(sat, inv, sat);
        }
    }
}
