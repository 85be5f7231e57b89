using System.Globalization;
using System.Numerics;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>The colour space <see cref="ColourMomentsOptions"/> works in.</summary>
public enum ColourSpace
{
    /// <summary>The planes as given (R, G, B; or the grey plane).</summary>
    Rgb,

    /// <summary>Hue, saturation, value (scikit-image's <c>rgb2hsv</c>).</summary>
    Hsv,

    /// <summary>CIE L*a*b*, sRGB D65 (scikit-image's <c>rgb2lab</c>).</summary>
    Lab,
}

/// <summary>
/// Colour moments over a spatial pyramid: for each level n of <see cref="Levels"/> the image is cut into an n x n grid
/// (cell boundaries <c>floor(i * W / n)</c>, as in <see cref="EdgeDensityOptions"/>), and for each cell and channel of
/// <see cref="Space"/> the output holds the mean, the standard deviation and the signed cube root of the third central
/// moment (skewness in the channel's own units). Where a photo's colours sit (sky above, grass below) is what a global
/// histogram loses. Grey images have one channel and ignore <see cref="Space"/>. Output:
/// <c>sum(n^2) * C * 3</c>, levels in order, cells row-major, then channels, then the three moments.
/// </summary>
public sealed record ColourMomentsOptions : IFeatureExtractorOptions
{
    /// <summary>Grid sides of the pyramid's levels, e.g. 1, 2, 4.</summary>
    public IReadOnlyList<int> Levels { get; init; } = [1, 2, 4];

    /// <summary>The colour space of the moments (RGB images only).</summary>
    public ColourSpace Space { get; init; } = ColourSpace.Lab;

    /// <inheritdoc/>
    public string Name =>
        $"moments(levels={string.Join('+', Levels.Select(l => l.ToString(CultureInfo.InvariantCulture)))},{Space.ToString().ToLowerInvariant()})";

    /// <inheritdoc/>
    public int GetOutputLength(ImageShape shape)
    {
        Validate(shape);
        return Levels.Sum(l => l * l) * shape.Channels * 3;
    }

    /// <inheritdoc/>
    public IFeatureExtractor CreateExtractor(ImageShape shape) => new ColourMoments(this, shape);

    /// <summary>Record equality would compare the level lists by reference.</summary>
    public bool Equals(ColourMomentsOptions? other) => other is not null && Space == other.Space && Levels.SequenceEqual(other.Levels);

    public override int GetHashCode() => HashCode.Combine(Space, string.Join(',', Levels));

    internal void Validate(ImageShape shape)
    {
        shape.Validate();
        if (Levels.Count == 0 || Levels.Any(l => l < 1 || l > shape.Width || l > shape.Height))
        {
            throw new ArgumentException($"pyramid levels {string.Join(',', Levels)} do not fit a {shape} image (each 1 to the image side)");
        }
    }
}

/// <summary>Colour-moment worker (see <see cref="ColourMomentsOptions"/>).</summary>
public sealed class ColourMoments : IFeatureExtractor
{
    private readonly ColourMomentsOptions _o;
    private readonly float[] _converted;
    private readonly int[][] _edges;

    internal ColourMoments(ColourMomentsOptions options, ImageShape shape)
    {
        OutputLength = options.GetOutputLength(shape);
        _o = options;
        InputShape = shape;
        Name = options.Name;
        _converted = shape.Channels == 3 && options.Space != ColourSpace.Rgb ? new float[shape.Length] : [];
        _edges = options.Levels.SelectMany(l => new[] { EdgeDensity.Edges(shape.Width, l), EdgeDensity.Edges(shape.Height, l) }).ToArray();
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
        int plane = InputShape.PlaneLength, w = InputShape.Width, channels = InputShape.Channels, o = 0;
        ReadOnlySpan<float> planes = image;
        if (_converted.Length > 0)
        {
            if (_o.Space == ColourSpace.Lab)
            {
                ColourSpaces.RgbToLab(image, _converted, plane);
            }
            else
            {
                ColourSpaces.RgbToHsv(image, _converted, plane);
            }

            planes = _converted;
        }

        for (int level = 0; level < _o.Levels.Count; level++)
        {
            int n = _o.Levels[level];
            int[] xs = _edges[2 * level], ys = _edges[(2 * level) + 1];
            for (int cy = 0; cy < n; cy++)
            {
                for (int cx = 0; cx < n; cx++)
                {
                    for (int c = 0; c < channels; c++)
                    {
                        Moments(planes.Slice(c * plane, plane), w, xs[cx], xs[cx + 1], ys[cy], ys[cy + 1], features.Slice(o, 3));
                        o += 3;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Mean, standard deviation and cube root of the third central moment of one cell: two passes in double (the
    /// cube root magnifies any error in a near-zero third moment), each over whole row segments as
    /// <see cref="Vector{T}"/> floats widened to two <see cref="Vector{T}"/> doubles.
    /// </summary>
    private static void Moments(ReadOnlySpan<float> p, int w, int x0, int x1, int y0, int y1, Span<float> output)
    {
        var sum = Vector<double>.Zero;
        double tail = 0;
        for (int y = y0; y < y1; y++)
        {
            ReadOnlySpan<float> row = p.Slice((y * w) + x0, x1 - x0);
            int i = 0;
            for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(row[i..]), out Vector<double> lo, out Vector<double> hi);
                sum += lo + hi;
            }

            for (; i < row.Length; i++)
            {
                tail += row[i];
            }
        }

        double count = (x1 - x0) * (y1 - y0), mean = (Vector.Sum(sum) + tail) / count;
        Vector<double> vMean = new(mean), m2 = Vector<double>.Zero, m3 = Vector<double>.Zero;
        double m2Tail = 0, m3Tail = 0;
        for (int y = y0; y < y1; y++)
        {
            ReadOnlySpan<float> row = p.Slice((y * w) + x0, x1 - x0);
            int i = 0;
            for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(row[i..]), out Vector<double> lo, out Vector<double> hi);
                Vector<double> dLo = lo - vMean, dHi = hi - vMean, d2Lo = dLo * dLo, d2Hi = dHi * dHi;
                m2 += d2Lo + d2Hi;
                m3 += (d2Lo * dLo) + (d2Hi * dHi);
            }

            for (; i < row.Length; i++)
            {
                double d = row[i] - mean, d2 = d * d;
                m2Tail += d2;
                m3Tail += d2 * d;
            }
        }

        output[0] = (float)mean;
        output[1] = (float)Math.Sqrt((Vector.Sum(m2) + m2Tail) / count);
        output[2] = (float)Math.Cbrt((Vector.Sum(m3) + m3Tail) / count);
    }
}
