using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// <see cref="ColourSpaces.RgbToLab"/>: the sRGB gamma and Lab's cube root read from 16,384-entry tables
/// with linear interpolation. The arithmetic is the per-pixel float arithmetic rgb64-v3 was introduced with; with AVX2
/// eight pixels go at once (the table entries fetched by gather instructions), each lane doing exactly the scalar
/// operations in the same order (IEEE float, no fused multiply-add), so every pixel gets the same float either way.
/// </summary>
internal static class TabulatedLab
{
    private const int TableSize = 16384;

    /// <summary>Top of the cube-root table's range: the largest X/Xn, Y/Yn or Z/Zn an in-gamut colour reaches is about 1.0001.</summary>
    private const float CubeRootEnd = 1.1f;

    private static readonly float[] LinearTable = BuildTable(TableSize, 1f, ColourSpaces.SrgbToLinear);
    private static readonly float[] CubeRootTable = BuildTable(TableSize, CubeRootEnd, ColourSpaces.LabF);

    /// <summary>Planar RGB to planar Lab; the buffers are checked by the caller.</summary>
    public static void Convert(ReadOnlySpan<float> rgb, Span<float> lab, int plane)
    {
        ReadOnlySpan<float> r = rgb[..plane], g = rgb.Slice(plane, plane), b = rgb.Slice(2 * plane, plane);
        Span<float> l = lab[..plane], a = lab.Slice(plane, plane), bb = lab.Slice(2 * plane, plane);
        int i = Avx2.IsSupported ? ConvertAvx2(r, g, b, l, a, bb) : 0;
        float[] lin = LinearTable, cube = CubeRootTable;
        for (; i < plane; i++)
        {
            float rl = Lookup(lin, r[i], 1f), gl = Lookup(lin, g[i], 1f), bl = Lookup(lin, b[i], 1f);
            float x = ((0.412453f * rl) + (0.357580f * gl) + (0.180423f * bl)) / 0.95047f;
            float y = (0.212671f * rl) + (0.715160f * gl) + (0.072169f * bl);
            float z = ((0.019334f * rl) + (0.119193f * gl) + (0.950227f * bl)) / 1.08883f;
            float fx = Lookup(cube, x, CubeRootEnd), fy = Lookup(cube, y, CubeRootEnd), fz = Lookup(cube, z, CubeRootEnd);
            l[i] = (116f * fy) - 16f;
            a[i] = 500f * (fx - fy);
            bb[i] = 200f * (fy - fz);
        }
    }

    /// <summary>Whole groups of eight pixels; returns how many pixels it did.</summary>
    private static unsafe int ConvertAvx2(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<float> l, Span<float> a, Span<float> bb)
    {
        int n = r.Length - (r.Length % Vector256<float>.Count);
        fixed (float* lin = LinearTable, cube = CubeRootTable)
        {
            for (int i = 0; i < n; i += Vector256<float>.Count)
            {
                Vector256<float> rl = Lookup(lin, Vector256.Create(r[i..]), 1f), gl = Lookup(lin, Vector256.Create(g[i..]), 1f), bl = Lookup(lin, Vector256.Create(b[i..]), 1f);
                Vector256<float> x = ((0.412453f * rl) + (0.357580f * gl) + (0.180423f * bl)) / Vector256.Create(0.95047f);
                Vector256<float> y = (0.212671f * rl) + (0.715160f * gl) + (0.072169f * bl);
                Vector256<float> z = ((0.019334f * rl) + (0.119193f * gl) + (0.950227f * bl)) / Vector256.Create(1.08883f);
                Vector256<float> fx = Lookup(cube, x, CubeRootEnd), fy = Lookup(cube, y, CubeRootEnd), fz = Lookup(cube, z, CubeRootEnd);
                ((116f * fy) - Vector256.Create(16f)).CopyTo(l[i..]);
                (500f * (fx - fy)).CopyTo(a[i..]);
                (200f * (fy - fz)).CopyTo(bb[i..]);
            }
        }

        return n;
    }

    /// <summary>Linear interpolation in a table of f over [0, end]; values outside are clamped to the ends.</summary>
    private static float Lookup(float[] table, float value, float end)
    {
        float t = Math.Clamp(value, 0f, end) * ((TableSize - 1) / end);
        int i = Math.Min((int)t, TableSize - 2);
        float frac = t - i;
        return table[i] + (frac * (table[i + 1] - table[i]));
    }

    /// <summary>
    /// The scalar <see cref="Lookup(float[], float, float)"/> on eight lanes. <c>Avx.Max(v, 0)</c> gives 0 for NaN where
    /// <see cref="Math.Clamp(float, float, float)"/> passes NaN on (and the scalar result is NaN), so NaN lanes are put
    /// back at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Lookup(float* table, Vector256<float> value, float end)
    {
        Vector256<float> t = Avx.Min(Avx.Max(value, Vector256<float>.Zero), Vector256.Create(end)) * ((TableSize - 1) / end);
        Vector256<int> i = Avx2.Min(Avx.ConvertToVector256Int32WithTruncation(t), Vector256.Create(TableSize - 2));
        Vector256<float> frac = t - Avx.ConvertToVector256Single(i);
        Vector256<float> lo = Avx2.GatherVector256(table, i, 4), hi = Avx2.GatherVector256(table + 1, i, 4);
        Vector256<float> result = lo + (frac * (hi - lo));
        return Vector256.ConditionalSelect(Vector256.Equals(value, value), result, Vector256.Create(float.NaN));
    }

    private static float[] BuildTable(int size, float end, Func<double, double> f)
    {
        var table = new float[size];
        for (int i = 0; i < size; i++)
        {
            table[i] = (float)f(i * (double)end / (size - 1));
        }

        return table;
    }
}
