using System.Runtime.Intrinsics;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// <see cref="ColourMoments"/>' arithmetic: for every cell of every pyramid level and every channel, the
/// mean (a first pass summing the cell's values in double, row by row, left to right) and then the second and third
/// central moments (a second pass in the same order) — the textbook two-pass loop, float for float. Rather than a
/// pass per cell, each pass is one sweep over the image in row-major order that adds every pixel to its cell of each
/// level at once: the levels' sums are the lanes of a <see cref="Vector256{T}"/> of doubles (up to four levels per
/// sweep), every lane sees its cell's pixels in the textbook order, and a lane's arithmetic is the scalar arithmetic,
/// so the sums are the textbook doubles on any hardware. The three channels run side by side. A row is cut where
/// any level's cells change; on each such segment every lane adds to one cell. Nothing is allocated per image.
/// </summary>
internal sealed class TwoPassPyramid
{
    private const int Lanes = 4;
    private readonly int _width, _height, _cells, _segmentCount;
    private readonly int[] _levels, _levelBase, _segmentEdges;
    private readonly int[][] _laneCells; // per group of levels: [(y * segments + s) * Lanes + lane] = global cell (or the sink)
    private readonly double[] _count;
    private readonly double[] _sum, _mean, _m2, _m3; // [channel * stride + cell], stride = cells + 1 (the last is the sink)

    public TwoPassPyramid(ImageShape shape, IReadOnlyList<int> levels)
    {
        _width = shape.Width;
        _height = shape.Height;
        _levels = [.. levels];
        _levelBase = new int[_levels.Length];
        for (int l = 1; l < _levels.Length; l++)
        {
            _levelBase[l] = _levelBase[l - 1] + (_levels[l - 1] * _levels[l - 1]);
        }

        _cells = _levelBase[^1] + (_levels[^1] * _levels[^1]);
        int[][] xs = [.. _levels.Select(n => EdgeDensity.Edges(_width, n))], ys = [.. _levels.Select(n => EdgeDensity.Edges(_height, n))];
        _segmentEdges = [.. xs.SelectMany(e => e).Distinct().Order()];
        _segmentCount = _segmentEdges.Length - 1;
        _count = new double[_cells + 1];
        _count[_cells] = 1; // the sink's
        for (int l = 0; l < _levels.Length; l++)
        {
            int n = _levels[l];
            for (int cy = 0; cy < n; cy++)
            {
                for (int cx = 0; cx < n; cx++)
                {
                    _count[_levelBase[l] + (cy * n) + cx] = (xs[l][cx + 1] - xs[l][cx]) * (ys[l][cy + 1] - ys[l][cy]);
                }
            }
        }

        _laneCells = new int[(_levels.Length + Lanes - 1) / Lanes][];
        for (int g = 0; g < _laneCells.Length; g++)
        {
            var cells = new int[_height * _segmentCount * Lanes];
            for (int y = 0; y < _height; y++)
            {
                for (int s = 0; s < _segmentCount; s++)
                {
                    for (int lane = 0; lane < Lanes; lane++)
                    {
                        int l = (g * Lanes) + lane;
                        cells[(((y * _segmentCount) + s) * Lanes) + lane] = l < _levels.Length
                            ? _levelBase[l] + (CellOf(ys[l], y) * _levels[l]) + CellOf(xs[l], _segmentEdges[s])
                            : _cells;
                    }
                }
            }

            _laneCells[g] = cells;
        }

        int stride = _cells + 1;
        _sum = new double[3 * stride];
        _mean = new double[3 * stride];
        _m2 = new double[3 * stride];
        _m3 = new double[3 * stride];
    }

    /// <summary>
    /// Moments of the (one or three) planes into <paramref name="features"/>: levels in order, cells row-major, then
    /// channels, then mean, standard deviation and cube root of the third central moment.
    /// </summary>
    public void Extract(ReadOnlySpan<float> planes, int channels, Span<float> features)
    {
        int plane = _width * _height, stride = _cells + 1;
        ReadOnlySpan<float> p0 = planes[..plane];
        ReadOnlySpan<float> p1 = channels == 3 ? planes.Slice(plane, plane) : p0, p2 = channels == 3 ? planes.Slice(2 * plane, plane) : p0;
        Array.Clear(_sum);
        Array.Clear(_m2);
        Array.Clear(_m3);
        foreach (int[] laneCells in _laneCells)
        {
            SumPass(p0, p1, p2, laneCells, stride);
        }

        for (int i = 0; i < _sum.Length; i++)
        {
            _mean[i] = _sum[i] / _count[i % stride];
        }

        foreach (int[] laneCells in _laneCells)
        {
            MomentPass(p0, p1, p2, laneCells, stride);
        }

        int o = 0;
        for (int cell = 0; cell < _cells; cell++)
        {
            double count = _count[cell];
            for (int c = 0; c < channels; c++)
            {
                int i = (c * stride) + cell;
                features[o] = (float)_mean[i];
                features[o + 1] = (float)Math.Sqrt(_m2[i] / count);
                features[o + 2] = (float)Math.Cbrt(_m3[i] / count);
                o += 3;
            }
        }
    }

    private static int CellOf(int[] edges, int position)
    {
        int cell = 0;
        while (edges[cell + 1] <= position)
        {
            cell++;
        }

        return cell;
    }

    private void SumPass(ReadOnlySpan<float> p0, ReadOnlySpan<float> p1, ReadOnlySpan<float> p2, int[] laneCells, int stride)
    {
        Span<double> s0 = _sum.AsSpan(0, stride), s1 = _sum.AsSpan(stride, stride), s2 = _sum.AsSpan(2 * stride, stride);
        for (int y = 0; y < _height; y++)
        {
            for (int s = 0; s < _segmentCount; s++)
            {
                ReadOnlySpan<int> cells = laneCells.AsSpan(((y * _segmentCount) + s) * Lanes, Lanes);
                Vector256<double> a0 = Gather(s0, cells), a1 = Gather(s1, cells), a2 = Gather(s2, cells);
                for (int i = (y * _width) + _segmentEdges[s], end = (y * _width) + _segmentEdges[s + 1]; i < end; i++)
                {
                    a0 += Vector256.Create((double)p0[i]);
                    a1 += Vector256.Create((double)p1[i]);
                    a2 += Vector256.Create((double)p2[i]);
                }

                Scatter(a0, s0, cells);
                Scatter(a1, s1, cells);
                Scatter(a2, s2, cells);
            }
        }
    }

    private void MomentPass(ReadOnlySpan<float> p0, ReadOnlySpan<float> p1, ReadOnlySpan<float> p2, int[] laneCells, int stride)
    {
        Span<double> a = _m2, b = _m3;
        ReadOnlySpan<double> mean = _mean;
        for (int y = 0; y < _height; y++)
        {
            for (int s = 0; s < _segmentCount; s++)
            {
                ReadOnlySpan<int> cells = laneCells.AsSpan(((y * _segmentCount) + s) * Lanes, Lanes);
                Vector256<double> mean0 = Gather(mean[..stride], cells), mean1 = Gather(mean.Slice(stride, stride), cells), mean2 = Gather(mean.Slice(2 * stride, stride), cells);
                Vector256<double> a0 = Gather(a[..stride], cells), a1 = Gather(a.Slice(stride, stride), cells), a2 = Gather(a.Slice(2 * stride, stride), cells);
                Vector256<double> b0 = Gather(b[..stride], cells), b1 = Gather(b.Slice(stride, stride), cells), b2 = Gather(b.Slice(2 * stride, stride), cells);
                for (int i = (y * _width) + _segmentEdges[s], end = (y * _width) + _segmentEdges[s + 1]; i < end; i++)
                {
                    Vector256<double> d0 = Vector256.Create((double)p0[i]) - mean0, d1 = Vector256.Create((double)p1[i]) - mean1, d2 = Vector256.Create((double)p2[i]) - mean2;
                    Vector256<double> e0 = d0 * d0, e1 = d1 * d1, e2 = d2 * d2;
                    a0 += e0;
                    a1 += e1;
                    a2 += e2;
                    b0 += e0 * d0;
                    b1 += e1 * d1;
                    b2 += e2 * d2;
                }

                Scatter(a0, a[..stride], cells);
                Scatter(a1, a.Slice(stride, stride), cells);
                Scatter(a2, a.Slice(2 * stride, stride), cells);
                Scatter(b0, b[..stride], cells);
                Scatter(b1, b.Slice(stride, stride), cells);
                Scatter(b2, b.Slice(2 * stride, stride), cells);
            }
        }
    }

    private static Vector256<double> Gather(ReadOnlySpan<double> values, ReadOnlySpan<int> cells) =>
        Vector256.Create(values[cells[0]], values[cells[1]], values[cells[2]], values[cells[3]]);

    /// <summary>Lanes back to their cells (unused lanes all write the sink, whose value nobody reads).</summary>
    private static void Scatter(Vector256<double> lanes, Span<double> values, ReadOnlySpan<int> cells)
    {
        values[cells[0]] = lanes.GetElement(0);
        values[cells[1]] = lanes.GetElement(1);
        values[cells[2]] = lanes.GetElement(2);
        values[cells[3]] = lanes.GetElement(3);
    }
}
