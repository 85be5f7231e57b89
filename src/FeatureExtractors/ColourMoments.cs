using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;

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

/// <summary>
/// Colour-moment worker (see <see cref="ColourMomentsOptions"/>). Per channel, one vector pass sums d, d^2 and d^3 (in
/// double; d = value - the channel's mean, a shift that keeps the sums small) over each cell of the finest level; a
/// coarser level whose side divides the finest one's adds those cell sums up (its cell edges fall on the finest
/// level's), any other level makes its own pass. The central moments come from the shifted sums. Nothing is allocated.
/// </summary>
public sealed class ColourMoments : IFeatureExtractor
{
    private readonly ColourMomentsOptions _o;
    private readonly float[] _converted;
    private readonly int[][] _edges;
    private readonly int _finest, _finestLevel;
    private readonly double[] _fine, _cell; // sums of d, d^2, d^3 per finest cell; the same for one cell of another level

    internal ColourMoments(ColourMomentsOptions options, ImageShape shape)
    {
        OutputLength = options.GetOutputLength(shape);
        _o = options;
        InputShape = shape;
        Name = options.Name;
        _converted = shape.Channels == 3 && options.Space != ColourSpace.Rgb ? new float[shape.Length] : [];
        _edges = options.Levels.SelectMany(l => new[] { EdgeDensity.Edges(shape.Width, l), EdgeDensity.Edges(shape.Height, l) }).ToArray();
        _finest = options.Levels.Max();
        _finestLevel = options.Levels.ToList().IndexOf(_finest);
        _fine = new double[3 * _finest * _finest];
        _cell = new double[3];
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
        int plane = InputShape.PlaneLength, channels = InputShape.Channels;
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

        int m = _finest;
        int[] fx = _edges[2 * _finestLevel], fy = _edges[(2 * _finestLevel) + 1];
        for (int c = 0; c < channels; c++)
        {
            ReadOnlySpan<float> p = planes.Slice(c * plane, plane);
            double shift = TensorPrimitives.Sum(p) / plane;
            for (int cy = 0; cy < m; cy++)
            {
                for (int cx = 0; cx < m; cx++)
                {
                    Sums(p, InputShape.Width, fx[cx], fx[cx + 1], fy[cy], fy[cy + 1], shift, _fine.AsSpan(3 * ((cy * m) + cx), 3));
                }
            }

            int o = 0;
            for (int level = 0; level < _o.Levels.Count; level++)
            {
                int n = _o.Levels[level], k = m / n;
                int[] xs = _edges[2 * level], ys = _edges[(2 * level) + 1];
                for (int cy = 0; cy < n; cy++)
                {
                    for (int cx = 0; cx < n; cx++)
                    {
                        Span<double> sums = _cell;
                        if (m % n == 0)
                        {
                            sums.Clear();
                            for (int y = cy * k; y < (cy + 1) * k; y++)
                            {
                                for (int x = cx * k; x < (cx + 1) * k; x++)
                                {
                                    sums[0] += _fine[3 * ((y * m) + x)];
                                    sums[1] += _fine[(3 * ((y * m) + x)) + 1];
                                    sums[2] += _fine[(3 * ((y * m) + x)) + 2];
                                }
                            }
                        }
                        else
                        {
                            Sums(p, InputShape.Width, xs[cx], xs[cx + 1], ys[cy], ys[cy + 1], shift, sums);
                        }

                        double count = (xs[cx + 1] - xs[cx]) * (ys[cy + 1] - ys[cy]);
                        Moments(sums, count, shift, features.Slice(o + ((((cy * n) + cx) * channels) + c) * 3, 3));
                    }
                }

                o += n * n * channels * 3;
            }
        }
    }

    /// <summary>Mean, standard deviation and signed cube root of the third central moment from the sums of d = value - shift.</summary>
    private static void Moments(ReadOnlySpan<double> sums, double count, double shift, Span<float> output)
    {
        double mu = sums[0] / count, s2 = sums[1] / count, s3 = sums[2] / count;
        output[0] = (float)(shift + mu);
        output[1] = (float)Math.Sqrt(Math.Max(s2 - (mu * mu), 0));
        output[2] = (float)Math.Cbrt(s3 - (3 * mu * s2) + (2 * mu * mu * mu));
    }

    /// <summary>
    /// Sums of d, d^2 and d^3 (d = value - shift) over one cell, in double: whole row segments as <see cref="Vector{T}"/>
    /// floats widened to two <see cref="Vector{T}"/> doubles, the rest of each row one by one.
    /// </summary>
    private static void Sums(ReadOnlySpan<float> p, int w, int x0, int x1, int y0, int y1, double shift, Span<double> sums)
    {
        Vector<double> vShift = new(shift), s1 = Vector<double>.Zero, s2 = Vector<double>.Zero, s3 = Vector<double>.Zero;
        double t1 = 0, t2 = 0, t3 = 0;
        for (int y = y0; y < y1; y++)
        {
            ReadOnlySpan<float> row = p.Slice((y * w) + x0, x1 - x0);
            int i = 0;
            for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(row[i..]), out Vector<double> lo, out Vector<double> hi);
                Vector<double> dLo = lo - vShift, dHi = hi - vShift, d2Lo = dLo * dLo, d2Hi = dHi * dHi;
                s1 += dLo + dHi;
                s2 += d2Lo + d2Hi;
                s3 += (d2Lo * dLo) + (d2Hi * dHi);
            }

            for (; i < row.Length; i++)
            {
                double d = row[i] - shift, d2 = d * d;
                t1 += d;
                t2 += d2;
                t3 += d2 * d;
            }
        }

        sums[0] = Vector.Sum(s1) + t1;
        sums[1] = Vector.Sum(s2) + t2;
        sums[2] = Vector.Sum(s3) + t3;
    }
}
