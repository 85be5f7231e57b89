using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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

/// <summary>The code paths of <see cref="LocalBinaryPattern.ComputeCodes(ReadOnlySpan{float}, Span{byte})"/>: one pixel at a time, or a row at a time in vectors of 2, 4 or 8 doubles.</summary>
internal enum LbpLanes
{
    /// <summary>Pixel by pixel (the reference the vector paths must equal bit for bit).</summary>
    Scalar = 1,

    /// <summary>Vector128: 2 doubles.</summary>
    Vector128 = 2,

    /// <summary>Vector256: 4 doubles.</summary>
    Vector256 = 4,

    /// <summary>Vector512: 8 doubles.</summary>
    Vector512 = 8,
}

/// <summary>
/// Local-binary-pattern worker (see <see cref="LocalBinaryPatternOptions"/>). The codes are computed in double with
/// scikit-image's interpolation formula, so a neighbour that equals its centre compares the same way there and here.
/// The grey image sits in a zero border as wide as the circle reaches, so no read checks bounds; a neighbour at whole
/// pixel offsets (weights 0, which the formula turns into the pixel itself, exactly) is read directly.
/// <para>
/// Speed (the vector paths, <see cref="LbpLanes"/>): for a neighbour and a row, the two rows interpolated between and
/// their weight are the same for every column, and the two columns move one to the right per column, so a row of
/// samples is contiguous loads with a per-column weight (loaded, not assumed constant: <c>(c + cp) - floor(c + cp)</c>
/// differs from <c>cp - floor(cp)</c> in the last bit for some columns). The column blend of a row,
/// <c>((1 - dc) * left) + (dc * right)</c>, depends on the row and cp alone, so it is computed once per image for the
/// neighbours that share cp (i and P - i) and each of them blends two such rows with its row weights. Every multiply
/// and add is the scalar <see cref="Sample"/>'s, in its order (no fused multiply-add), so every sample, and so every
/// code, is bit-identical to the scalar path; the tests compare the two on random, quantised and real images.
/// </para>
/// </summary>
public sealed class LocalBinaryPattern : IFeatureExtractor
{
    /// <summary>Largest P whose codes are looked up in a table of 2^P bytes.</summary>
    private const int MaxTablePoints = 12;

    private readonly LocalBinaryPatternOptions _o;
    private readonly double[] _padded; // the grey image inside a zero border of _border pixels
    private readonly int _border, _stride;
    private readonly byte[] _codes;
    private readonly int[] _r0, _r1, _c0, _c1; // per neighbour and row (column): padded row starts (columns) interpolated between
    private readonly double[] _dr, _dc; // and the weight of the second one
    private readonly double[] _dc1; // and 1 minus it, the first column's weight (the rows' is in _taps)
    private readonly Tap[] _taps; // per row, neighbours P-1 down to 0: where the vector paths read
    private readonly ColumnGroup[] _groups; // the interpolating neighbours' distinct columns and column weights
    private readonly double[] _blended; // per group and padded row: the row blended with the group's column weights
    private readonly (int First, int Last) _blendRows; // the padded rows the taps read blended
    private readonly bool[] _whole; // per neighbour: at whole-pixel offsets, read without interpolating
    private readonly long[] _patterns; // one row of neighbour bit patterns (vector paths)
    private readonly byte[]? _codeOf; // the code of every bit pattern when P <= MaxTablePoints
    private readonly int[] _xEdges, _yEdges;
    private readonly int[] _cellOffset; // per image column: its cell's offset in a row of cells' histograms
    private readonly int[] _counts; // per cell and code, for even then for odd columns (Extract)
    private readonly LbpLanes _lanes;

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

        _dc1 = Array.ConvertAll(_dc, d => 1 - d);
        // floor(c + cp) = c + floor(cp) for a whole c: cp has 5 decimals, so unless it is whole it is at least 1e-5
        // from a whole number, far more than the rounding of c + cp; so a neighbour's columns are column 0's plus c
        // (its column weights are not: they are loaded per column). The column weights depend on cp alone, so the
        // neighbours sharing a cp (i and P - i) share the column-blended rows.
        var groups = new List<ColumnGroup>();
        var groupOf = new int[p];
        int paddedRows = h + (2 * _border), firstRow = paddedRows, lastRow = -1;
        for (int i = 0; i < p; i++)
        {
            var g = new ColumnGroup(_c0[i * w], _c1[i * w], i * w);
            groupOf[i] = _whole[i] ? -1 : FindOrAdd(groups, g, _dc, w);
            for (int r = 0; r < h && !_whole[i]; r++)
            {
                firstRow = Math.Min(firstRow, _r0[(i * h) + r] / _stride);
                lastRow = Math.Max(lastRow, _r1[(i * h) + r] / _stride);
            }
        }

        _groups = [.. groups];
        _blendRows = (firstRow, lastRow);
        _blended = new double[_groups.Length * paddedRows * w];
        _taps = new Tap[h * p];
        for (int r = 0; r < h; r++)
        {
            for (int i = 0; i < p; i++)
            {
                int ri = (i * h) + r, g = groupOf[i];
                _taps[(r * p) + (p - 1 - i)] = g < 0
                    ? new Tap(_r0[ri] + _c0[i * w], -1, -1, 0, 0)
                    : new Tap(-1, ((g * paddedRows) + (_r0[ri] / _stride)) * w, ((g * paddedRows) + (_r1[ri] / _stride)) * w, _dr[ri], 1 - _dr[ri]);
            }
        }

        _patterns = new long[w];
        if (p <= MaxTablePoints)
        {
            _codeOf = new byte[1 << p];
            for (int bits = 0; bits < _codeOf.Length; bits++)
            {
                _codeOf[bits] = UniformCode(bits, p);
            }
        }

        _xEdges = EdgeDensity.Edges(shape.Width, options.GridX);
        _yEdges = EdgeDensity.Edges(shape.Height, options.GridY);
        _cellOffset = new int[w];
        for (int gx = 0; gx < options.GridX; gx++)
        {
            _cellOffset.AsSpan(_xEdges[gx], _xEdges[gx + 1] - _xEdges[gx]).Fill(gx * options.Codes);
        }

        _counts = new int[2 * OutputLength];
        _lanes = FastestLanes(w);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public ImageShape InputShape { get; }

    /// <inheritdoc/>
    public int OutputLength { get; }

    /// <summary>The widest hardware-accelerated vector of doubles no wider than a row (<see cref="LbpLanes.Scalar"/> if none).</summary>
    internal static LbpLanes FastestLanes(int width) =>
        Vector512.IsHardwareAccelerated && width >= Vector512<double>.Count ? LbpLanes.Vector512
        : Vector256.IsHardwareAccelerated && width >= Vector256<double>.Count ? LbpLanes.Vector256
        : Vector128.IsHardwareAccelerated && width >= Vector128<double>.Count ? LbpLanes.Vector128
        : LbpLanes.Scalar;

    /// <inheritdoc/>
    public void Extract(ReadOnlySpan<float> image, Span<float> features)
    {
        ExtractorBuffers.Check(this, image, features);
        ComputeCodes(image, _codes, _lanes);
        int w = InputShape.Width, codes = _o.Codes, gridX = _o.GridX, n = OutputLength;
        // two sets of counters, even and odd columns, so runs of one code do not wait on the same counter
        Span<int> even = _counts.AsSpan(0, n), odd = _counts.AsSpan(n, n);
        _counts.AsSpan().Clear();
        ReadOnlySpan<int> cellAt = _cellOffset;
        for (int gy = 0; gy < _o.GridY; gy++)
        {
            Span<int> evenRow = even[(gy * gridX * codes)..], oddRow = odd[(gy * gridX * codes)..];
            for (int y = _yEdges[gy]; y < _yEdges[gy + 1]; y++)
            {
                ReadOnlySpan<byte> row = _codes.AsSpan(y * w, w);
                int x = 0;
                for (; x < row.Length - 1; x += 2)
                {
                    evenRow[cellAt[x] + row[x]]++;
                    oddRow[cellAt[x + 1] + row[x + 1]]++;
                }

                if (x < row.Length)
                {
                    evenRow[cellAt[x] + row[x]]++;
                }
            }
        }

        // share = count * (1 / pixels), as a float count was scaled before (the same bits)
        for (int gy = 0; gy < _o.GridY; gy++)
        {
            for (int gx = 0; gx < gridX; gx++)
            {
                float inv = 1f / ((_xEdges[gx + 1] - _xEdges[gx]) * (_yEdges[gy + 1] - _yEdges[gy]));
                int at = ((gy * gridX) + gx) * codes;
                for (int i = at; i < at + codes; i++)
                {
                    features[i] = (even[i] + odd[i]) * inv;
                }
            }
        }
    }

    /// <summary>
    /// The code (0..P+1) of every pixel, row-major: the same numbers as scikit-image's
    /// <c>local_binary_pattern(grey, P, R, 'uniform')</c> for the channel mean <c>grey</c>.
    /// </summary>
    public void ComputeCodes(ReadOnlySpan<float> image, Span<byte> codes) => ComputeCodes(image, codes, _lanes);

    /// <summary><see cref="ComputeCodes(ReadOnlySpan{float}, Span{byte})"/> on a chosen code path (the tests run them all: a vector type the hardware lacks is emulated, slower but the same numbers).</summary>
    internal void ComputeCodes(ReadOnlySpan<float> image, Span<byte> codes, LbpLanes lanes)
    {
        ExtractorBuffers.CheckImage(this, image);
        ArgumentOutOfRangeException.ThrowIfLessThan(codes.Length, InputShape.PlaneLength, nameof(codes));
        if ((int)lanes > InputShape.Width)
        {
            throw new ArgumentOutOfRangeException(nameof(lanes), $"{lanes} is wider than a {InputShape.Width}-pixel row");
        }

        switch (lanes)
        {
            case LbpLanes.Vector512:
                VectorCodes<Lanes512, Vector512<double>, Vector512<long>>(image, codes);
                break;
            case LbpLanes.Vector256:
                VectorCodes<Lanes256, Vector256<double>, Vector256<long>>(image, codes);
                break;
            case LbpLanes.Vector128:
                VectorCodes<Lanes128, Vector128<double>, Vector128<long>>(image, codes);
                break;
            default:
                ScalarCodes(image, codes);
                break;
        }
    }

    /// <summary>Row <paramref name="r"/>'s channel mean in double (channels added in order, then divided) into the padded buffer.</summary>
    private void ScalarGreyRow(ReadOnlySpan<float> image, int r)
    {
        int w = InputShape.Width, plane = InputShape.PlaneLength, channels = InputShape.Channels;
        double[] grey = _padded;
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

    /// <summary>The pixel-by-pixel path: each grey value by <see cref="ScalarGreyRow"/>, each neighbour by <see cref="Sample"/>, each code by <see cref="UniformCode"/>.</summary>
    private void ScalarCodes(ReadOnlySpan<float> image, Span<byte> codes)
    {
        int w = InputShape.Width, h = InputShape.Height, p = _o.Points;
        double[] grey = _padded;
        for (int r = 0; r < h; r++)
        {
            ScalarGreyRow(image, r);
        }

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

                codes[(r * w) + c] = UniformCode(bits, p);
            }
        }
    }

    /// <summary>
    /// The vector path: the grey image by <see cref="VectorGrey"/>; then per row, vectors of <c>TLanes.Count</c> columns
    /// (the last one overlapping the one before when the width is not a multiple; it rewrites the same codes), every
    /// neighbour's samples as in <see cref="Sample"/>, the comparisons shifted into a bit pattern per column, then the
    /// codes from the table.
    /// </summary>
    private void VectorCodes<TLanes, TV, TBits>(ReadOnlySpan<float> image, Span<byte> codes)
        where TLanes : ILanes<TV, TBits>
        where TV : struct
        where TBits : struct
    {
        VectorGrey<TLanes, TV, TBits>(image);
        int w = InputShape.Width, h = InputShape.Height, p = _o.Points, n = TLanes.Count;
        ref double grey = ref MemoryMarshal.GetArrayDataReference(_padded);
        ref double blended = ref MemoryMarshal.GetArrayDataReference(_blended);
        ref double dc = ref MemoryMarshal.GetArrayDataReference(_dc);
        ref double dc1 = ref MemoryMarshal.GetArrayDataReference(_dc1);
        int paddedRows = h + (2 * _border);
        for (int g = 0; g < _groups.Length; g++)
        {
            ColumnGroup group = _groups[g];
            for (int pr = _blendRows.First; pr <= _blendRows.Last; pr++)
            {
                int from = pr * _stride, to = ((g * paddedRows) + pr) * w;
                for (int c = 0; ; c += n)
                {
                    c = Math.Min(c, w - n);
                    // Sample's top (or bottom): ((1 - dc) * left) + (dc * right)
                    TV row = TLanes.Blend(TLanes.Load(ref dc1, group.Weights + c), TLanes.Load(ref grey, from + group.Left + c),
                        TLanes.Load(ref dc, group.Weights + c), TLanes.Load(ref grey, from + group.Right + c));
                    TLanes.Store(row, ref blended, to + c);
                    if (c == w - n)
                    {
                        break;
                    }
                }
            }
        }

        ref Tap taps = ref MemoryMarshal.GetArrayDataReference(_taps);
        Span<long> patterns = _patterns;
        ref long pattern = ref MemoryMarshal.GetReference(patterns);
        for (int r = 0; r < h; r++)
        {
            int row = ((r + _border) * _stride) + _border;
            ref Tap rowTaps = ref Unsafe.Add(ref taps, r * p);
            for (int c = 0; ; c += n)
            {
                c = Math.Min(c, w - n);
                TV centre = TLanes.Load(ref grey, row + c);
                TBits bits = default;
                // neighbour P-1 first: each comparison shifts the earlier ones up, so neighbour i ends at bit i
                for (int j = 0; j < p; j++)
                {
                    ref readonly Tap t = ref Unsafe.Add(ref rowTaps, j);
                    // Sample's ((1 - dr) * top) + (dr * bottom)
                    TV sample = t.Pixel >= 0
                        ? TLanes.Load(ref grey, t.Pixel + c)
                        : TLanes.Blend(TLanes.Create(t.Dr1), TLanes.Load(ref blended, t.Upper + c), TLanes.Create(t.Dr), TLanes.Load(ref blended, t.Lower + c));
                    bits = TLanes.ShiftIn(bits, sample, centre);
                }

                TLanes.Store(bits, ref pattern, c);
                if (c == w - n)
                {
                    break;
                }
            }

            Span<byte> rowCodes = codes.Slice(r * w, w);
            if (_codeOf is { } table)
            {
                for (int c = 0; c < rowCodes.Length; c++)
                {
                    rowCodes[c] = table[(int)patterns[c]];
                }
            }
            else
            {
                for (int c = 0; c < rowCodes.Length; c++)
                {
                    rowCodes[c] = UniformCode((int)patterns[c], p);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="ScalarGreyRow"/> for every row, 2 * <c>TLanes.Count</c> pixels at a time (the last block overlapping
    /// the one before; a row narrower than a block is done by <see cref="ScalarGreyRow"/>): the same additions and
    /// division, so the same doubles.
    /// </summary>
    private void VectorGrey<TLanes, TV, TBits>(ReadOnlySpan<float> image)
        where TLanes : ILanes<TV, TBits>
        where TV : struct
        where TBits : struct
    {
        int w = InputShape.Width, h = InputShape.Height, plane = InputShape.PlaneLength, channels = InputShape.Channels, n = TLanes.Count;
        if (w < 2 * n)
        {
            for (int r = 0; r < h; r++)
            {
                ScalarGreyRow(image, r);
            }

            return;
        }

        ref float source = ref MemoryMarshal.GetReference(image);
        ref double grey = ref MemoryMarshal.GetArrayDataReference(_padded);
        for (int r = 0; r < h; r++)
        {
            int row = ((r + _border) * _stride) + _border;
            for (int c = 0; ; c += 2 * n)
            {
                c = Math.Min(c, w - (2 * n));
                int i = (r * w) + c;
                TLanes.Widen(ref source, i, out TV lower, out TV upper);
                for (int k = 1; k < channels; k++)
                {
                    TLanes.Widen(ref source, (k * plane) + i, out TV nextLower, out TV nextUpper);
                    lower = TLanes.Add(lower, nextLower);
                    upper = TLanes.Add(upper, nextUpper);
                }

                if (channels != 1)
                {
                    lower = TLanes.Divide(lower, channels);
                    upper = TLanes.Divide(upper, channels);
                }

                TLanes.Store(lower, ref grey, row + c);
                TLanes.Store(upper, ref grey, row + c + n);
                if (c == w - (2 * n))
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// The uniform code of a P-bit pattern: the number of set bits when there are at most two 0/1 changes between
    /// neighbours 0..P-1 in order (scikit-image does not count the wrap-around; with at most two changes that gives
    /// the same verdict), else P + 1.
    /// </summary>
    private static byte UniformCode(int bits, int p)
    {
        int changes = System.Numerics.BitOperations.PopCount((uint)((bits ^ (bits >> 1)) & ((1 << (p - 1)) - 1)));
        return (byte)(changes <= 2 ? System.Numerics.BitOperations.PopCount((uint)bits) : p + 1);
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

    /// <summary>
    /// The group of <paramref name="g"/>'s column weights (the same doubles, column for column) in <paramref name="groups"/>, added if new.
    /// </summary>
    private static int FindOrAdd(List<ColumnGroup> groups, ColumnGroup g, double[] dc, int w)
    {
        int k = groups.FindIndex(e => e.Left == g.Left && e.Right == g.Right && dc.AsSpan(e.Weights, w).SequenceEqual(dc.AsSpan(g.Weights, w)));
        if (k < 0)
        {
            groups.Add(g);
            k = groups.Count - 1;
        }

        return k;
    }

    /// <summary>
    /// Interpolating neighbours' shared columns: the padded columns blended between, for column 0 (add the column),
    /// and the offset of their weights in <c>_dc</c> and <c>_dc1</c>.
    /// </summary>
    private readonly record struct ColumnGroup(int Left, int Right, int Weights);

    /// <summary>
    /// Where one neighbour of the pixels of one row reads, for column 0 (add the column): a whole-pixel neighbour its
    /// padded pixel (<see cref="Pixel"/>, else -1); an interpolating one the two rows of <c>_blended</c> it blends
    /// with the row weights.
    /// </summary>
    private readonly record struct Tap(int Pixel, int Upper, int Lower, double Dr, double Dr1);

    /// <summary>
    /// The vector operations of <see cref="VectorCodes"/> at one width: a struct type argument, so each width gets
    /// its own specialised code (as TensorPrimitives' operator structs).
    /// </summary>
    private interface ILanes<TV, TBits>
        where TV : struct
        where TBits : struct
    {
        static abstract int Count { get; }

        static abstract TV Load(ref double source, int index);

        static abstract TV Create(double value);

        /// <summary>2 * Count floats from <paramref name="index"/> as doubles: the first Count, then the rest.</summary>
        static abstract void Widen(ref float source, int index, out TV lower, out TV upper);

        static abstract TV Add(TV a, TV b);

        static abstract TV Divide(TV a, int divisor);

        static abstract void Store(TV values, ref double destination, int index);

        /// <summary><c>(w1 * a) + (w * b)</c>: two multiplies and an add, rounded separately as in <see cref="Sample"/>.</summary>
        static abstract TV Blend(TV w1, TV a, TV w, TV b);

        /// <summary><c>(bits &lt;&lt; 1) | (sample - centre &gt;= 0 ? 1 : 0)</c> per lane.</summary>
        static abstract TBits ShiftIn(TBits bits, TV sample, TV centre);

        static abstract void Store(TBits bits, ref long destination, int index);
    }

    private readonly struct Lanes128 : ILanes<Vector128<double>, Vector128<long>>
    {
        public static int Count => Vector128<double>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<double> Load(ref double source, int index) => Vector128.LoadUnsafe(ref source, (nuint)index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<double> Create(double value) => Vector128.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Widen(ref float source, int index, out Vector128<double> lower, out Vector128<double> upper) =>
            (lower, upper) = Vector128.Widen(Vector128.LoadUnsafe(ref source, (nuint)index));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<double> Add(Vector128<double> a, Vector128<double> b) => a + b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<double> Divide(Vector128<double> a, int divisor) => a / Vector128.Create((double)divisor);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector128<double> values, ref double destination, int index) => values.StoreUnsafe(ref destination, (nuint)index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<double> Blend(Vector128<double> w1, Vector128<double> a, Vector128<double> w, Vector128<double> b) => (w1 * a) + (w * b);

        // the comparison's lane is all ones (-1) when true: subtracting it adds 1
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<long> ShiftIn(Vector128<long> bits, Vector128<double> sample, Vector128<double> centre) =>
            (bits << 1) - Vector128.GreaterThanOrEqual(sample - centre, Vector128<double>.Zero).AsInt64();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector128<long> bits, ref long destination, int index) => bits.StoreUnsafe(ref destination, (nuint)index);
    }

    private readonly struct Lanes256 : ILanes<Vector256<double>, Vector256<long>>
    {
        public static int Count => Vector256<double>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Load(ref double source, int index) => Vector256.LoadUnsafe(ref source, (nuint)index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Create(double value) => Vector256.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Widen(ref float source, int index, out Vector256<double> lower, out Vector256<double> upper) =>
            (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref source, (nuint)index));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Add(Vector256<double> a, Vector256<double> b) => a + b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Divide(Vector256<double> a, int divisor) => a / Vector256.Create((double)divisor);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector256<double> values, ref double destination, int index) => values.StoreUnsafe(ref destination, (nuint)index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Blend(Vector256<double> w1, Vector256<double> a, Vector256<double> w, Vector256<double> b) => (w1 * a) + (w * b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<long> ShiftIn(Vector256<long> bits, Vector256<double> sample, Vector256<double> centre) =>
            (bits << 1) - Vector256.GreaterThanOrEqual(sample - centre, Vector256<double>.Zero).AsInt64();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector256<long> bits, ref long destination, int index) => bits.StoreUnsafe(ref destination, (nuint)index);
    }

    private readonly struct Lanes512 : ILanes<Vector512<double>, Vector512<long>>
    {
        public static int Count => Vector512<double>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Load(ref double source, int index) => Vector512.LoadUnsafe(ref source, (nuint)index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Create(double value) => Vector512.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Widen(ref float source, int index, out Vector512<double> lower, out Vector512<double> upper) =>
            (lower, upper) = Vector512.Widen(Vector512.LoadUnsafe(ref source, (nuint)index));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Divide(Vector512<double> a, int divisor) => a / Vector512.Create((double)divisor);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<double> values, ref double destination, int index) => values.StoreUnsafe(ref destination, (nuint)index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Blend(Vector512<double> w1, Vector512<double> a, Vector512<double> w, Vector512<double> b) => (w1 * a) + (w * b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<long> ShiftIn(Vector512<long> bits, Vector512<double> sample, Vector512<double> centre) =>
            (bits << 1) - Vector512.GreaterThanOrEqual(sample - centre, Vector512<double>.Zero).AsInt64();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<long> bits, ref long destination, int index) => bits.StoreUnsafe(ref destination, (nuint)index);
    }
}
