using System.Globalization;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// Texture: rotation-invariant uniform local binary patterns (scikit-image's <c>local_binary_pattern(image, P, R,
/// method='uniform')</c>), histogrammed per cell of a <see cref="GridX"/> x <see cref="GridY"/> grid. Each pixel
/// compares <see cref="Points"/> neighbours on a circle of radius <see cref="Radius"/> (bilinear interpolation,
/// outside the image counts as 0) with itself; a pattern with at most two 0/1 changes around the circle gets the
/// number of neighbours at least as bright (0..P), any other pattern P + 1. Per cell the output is the share of
/// its pixels with each of the P + 2 codes. Colour images use the mean of their channels. Cell boundaries are
/// <c>floor(i * W / GridX)</c>, as in <see cref="EdgeDensityOptions"/>. Output: <c>GridX * GridY * (P + 2)</c>,
/// row-major cells.
/// </summary>
public sealed record LocalBinaryPatternOptions : IFeatureExtractorOptions
{
    /// <summary>Neighbours on the circle (scikit-image's <c>P</c>), 4 to 24.</summary>
    public int Points { get; init; } = 8;

    /// <summary>Radius of the circle in pixels (scikit-image's <c>R</c>).</summary>
    public float Radius { get; init; } = 1f;

    /// <summary>Grid columns.</summary>
    public int GridX { get; init; } = 4;

    /// <summary>Grid rows.</summary>
    public int GridY { get; init; } = 4;

    /// <inheritdoc/>
    public string Name =>
        $"lbp(points={Points},radius={Radius.ToString(CultureInfo.InvariantCulture)},uniform,grid={GridX}x{GridY})";

    /// <summary>Codes per cell: P + 1 uniform patterns and one for all others.</summary>
    public int Codes => Points + 2;

    /// <inheritdoc/>
    public int GetOutputLength(ImageShape shape)
    {
        Validate(shape);
        return GridX * GridY * Codes;
    }

    /// <inheritdoc/>
    public IFeatureExtractor CreateExtractor(ImageShape shape) => new LocalBinaryPattern(this, shape);

    internal void Validate(ImageShape shape)
    {
        shape.Validate();
        if (Points is < 4 or > 24)
        {
            throw new ArgumentException($"LBP points must be 4 to 24, got {Points}");
        }

        if (!(Radius > 0 && Radius <= 8))
        {
            throw new ArgumentException($"LBP radius must be above 0 and at most 8, got {Radius}");
        }

        if (GridX < 1 || GridY < 1 || GridX > shape.Width || GridY > shape.Height)
        {
            throw new ArgumentException($"LBP grid {GridX}x{GridY} does not fit a {shape} image");
        }
    }
}

/// <summary>
/// Local-binary-pattern worker (see <see cref="LocalBinaryPatternOptions"/>). The codes are computed in double with
/// scikit-image's interpolation formula, so a neighbour that equals its centre compares the same way there and here.
/// The grey image sits in a zero border as wide as the circle reaches, so no read checks bounds; a neighbour at whole
/// pixel offsets (weights 0, which the formula turns into the pixel itself, exactly) is read directly.
/// </summary>
public sealed class LocalBinaryPattern : IFeatureExtractor
{
    private readonly LocalBinaryPatternOptions _o;
    private readonly double[] _padded; // the grey image inside a zero border of _border pixels
    private readonly int _border, _stride;
    private readonly byte[] _codes;
    private readonly int[] _r0, _r1, _c0, _c1; // per neighbour and row (column): padded row starts (columns) interpolated between
    private readonly double[] _dr, _dc; // and the weight of the second one
    private readonly bool[] _whole; // per neighbour: at whole-pixel offsets, read without interpolating
    private readonly int[] _xEdges, _yEdges;

    internal LocalBinaryPattern(LocalBinaryPatternOptions options, ImageShape shape)
    {
        OutputLength = options.GetOutputLength(shape);
        _o = options;
        InputShape = shape;
        Name = options.Name;
        _codes = new byte[shape.PlaneLength];
        int p = options.Points;
        int h = shape.Height, w = shape.Width;
        _border = (int)Math.Ceiling(options.Radius) + 1;
        _stride = w + (2 * _border);
        _padded = new double[(h + (2 * _border)) * _stride];
        _whole = new bool[p];
        _r0 = new int[p * h];
        _r1 = new int[p * h];
        _dr = new double[p * h];
        _c0 = new int[p * w];
        _c1 = new int[p * w];
        _dc = new double[p * w];
        for (int i = 0; i < p; i++)
        {
            // scikit-image: rp = round(-R sin(2 pi i / P), 5), cp = round(R cos(2 pi i / P), 5)
            double angle = 2 * Math.PI * i / p;
            // numpy's round(x, 5) is rint(x * 1e5) / 1e5
            double rp = Math.Round(-(double)options.Radius * Math.Sin(angle) * 1e5, MidpointRounding.ToEven) / 1e5;
            double cp = Math.Round((double)options.Radius * Math.Cos(angle) * 1e5, MidpointRounding.ToEven) / 1e5;
            Interpolation(rp, h, i, _border, _stride, _r0, _r1, _dr);
            Interpolation(cp, w, i, _border, 1, _c0, _c1, _dc);
            _whole[i] = rp == Math.Floor(rp) && cp == Math.Floor(cp);
        }

        _xEdges = EdgeDensity.Edges(shape.Width, options.GridX);
        _yEdges = EdgeDensity.Edges(shape.Height, options.GridY);
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
        ComputeCodes(image, _codes);
        int w = InputShape.Width, codes = _o.Codes;
        features[..OutputLength].Clear();
        for (int gy = 0; gy < _o.GridY; gy++)
        {
            for (int gx = 0; gx < _o.GridX; gx++)
            {
                int x0 = _xEdges[gx], x1 = _xEdges[gx + 1], y0 = _yEdges[gy], y1 = _yEdges[gy + 1];
                Span<float> hist = features.Slice(((gy * _o.GridX) + gx) * codes, codes);
                for (int y = y0; y < y1; y++)
                {
                    foreach (byte code in _codes.AsSpan((y * w) + x0, x1 - x0))
                    {
                        hist[code] += 1f;
                    }
                }

                float inv = 1f / ((x1 - x0) * (y1 - y0));
                for (int i = 0; i < codes; i++)
                {
                    hist[i] *= inv;
                }
            }
        }
    }

    /// <summary>
    /// The code (0..P+1) of every pixel, row-major: the same numbers as scikit-image's
    /// <c>local_binary_pattern(grey, P, R, 'uniform')</c> for the channel mean <c>grey</c>.
    /// </summary>
    public void ComputeCodes(ReadOnlySpan<float> image, Span<byte> codes)
    {
        ExtractorBuffers.CheckImage(this, image);
        ArgumentOutOfRangeException.ThrowIfLessThan(codes.Length, InputShape.PlaneLength, nameof(codes));
        int w = InputShape.Width, h = InputShape.Height, plane = InputShape.PlaneLength, channels = InputShape.Channels;
        double[] grey = _padded;
        for (int r = 0; r < h; r++)
        {
            int row = ((r + _border) * _stride) + _border;
            for (int c = 0; c < w; c++)
            {
                int i = (r * w) + c;
                double sum = image[i];
                for (int k = 1; k < channels; k++)
                {
                    sum += image[(k * plane) + i];
                }

                grey[row + c] = channels == 1 ? sum : sum / channels;
            }
        }

        int p = _o.Points, uniformMask = (1 << (p - 1)) - 1;
        for (int r = 0; r < h; r++)
        {
            int row = ((r + _border) * _stride) + _border;
            for (int c = 0; c < w; c++)
            {
                double centre = grey[row + c];
                int bits = 0;
                for (int i = 0; i < p; i++)
                {
                    bits |= (Sample(grey, h, w, r, c, i) - centre >= 0 ? 1 : 0) << i;
                }

                // 0/1 changes between neighbours 0..P-1 in order (scikit-image does not count the wrap-around; with
                // at most two changes that gives the same verdict)
                int changes = System.Numerics.BitOperations.PopCount((uint)((bits ^ (bits >> 1)) & uniformMask));
                codes[(r * w) + c] = (byte)(changes <= 2 ? System.Numerics.BitOperations.PopCount((uint)bits) : p + 1);
            }
        }
    }

    /// <summary>
    /// The rows (or columns) neighbour <paramref name="i"/> of each row interpolates between and the second one's weight,
    /// in absolute coordinates as scikit-image computes them: (r + rp) - floor(r + rp) can differ from rp - floor(rp) in
    /// the last bit, which decides a neighbour equal to its centre.
    /// </summary>
    private static void Interpolation(double offset, int size, int i, int border, int step, int[] first, int[] second, double[] weight)
    {
        for (int r = 0; r < size; r++)
        {
            double at = r + offset, floor = Math.Floor(at);
            first[(i * size) + r] = ((int)floor + border) * step;
            second[(i * size) + r] = ((int)Math.Ceiling(at) + border) * step;
            weight[(i * size) + r] = at - floor;
        }
    }

    /// <summary>scikit-image's <c>bilinear_interpolation</c> with mode 'C' (constant 0) at neighbour <paramref name="i"/> of (r, c).</summary>
    private double Sample(double[] grey, int h, int w, int r, int c, int i)
    {
        int ri = (i * h) + r, ci = (i * w) + c;
        int r0 = _r0[ri], c0 = _c0[ci];
        if (_whole[i])
        {
            return grey[r0 + c0];
        }

        int r1 = _r1[ri], c1 = _c1[ci];
        double dr = _dr[ri], dc = _dc[ci];
        double top = ((1 - dc) * grey[r0 + c0]) + (dc * grey[r0 + c1]);
        double bottom = ((1 - dc) * grey[r1 + c0]) + (dc * grey[r1 + c1]);
        return ((1 - dr) * top) + (dr * bottom);
    }
}
