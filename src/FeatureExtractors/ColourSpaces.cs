using System.Numerics;
using System.Runtime.CompilerServices;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// Colour-space conversions of planar RGB (values 0..1), as scikit-image's <c>rgb2lab</c> (sRGB, D65, 2-degree
/// observer) and <c>rgb2hsv</c> define them. Two Lab conversions, because a saved model's features depend on the
/// arithmetic: <see cref="RgbToLabTabulated"/> (rgb64-v3's) reads the two non-linear steps (the sRGB gamma and the
/// cube root) from interpolated tables, scalar, within 1e-3 of the exact curves in Lab units; <see cref="RgbToLab"/>
/// (rgb64-v4's) is vectorised over <see cref="Vector{T}"/> (128, 256 or 512 bits, as the hardware has): the sRGB
/// gamma is <c>2^(2.4 log2 x)</c> from short polynomials and the cube root a bit-level guess refined by two Halley
/// steps, both within 1e-6 relative of the exact curves (about 1e-4 in Lab units). The two differ by up to about
/// 3e-4 in Lab units. The last partial vector of a plane goes through the same vector code in a padded buffer, so a
/// pixel's result does not depend on where it sits. Nothing is allocated.
/// </summary>
public static class ColourSpaces
{
    private const int TableSize = 16384;

    /// <summary>Top of the cube-root table's range: the largest X/Xn, Y/Yn or Z/Zn an in-gamut colour reaches is about 1.0001.</summary>
    private const float CubeRootEnd = 1.1f;

    private static readonly float[] LinearTable = BuildTable(TableSize, 1f, SrgbToLinear);
    private static readonly float[] CubeRootTable = BuildTable(TableSize, CubeRootEnd, LabF);

    /// <summary>The sRGB transfer function undone (scikit-image's <c>rgb2xyz</c>).</summary>
    public static double SrgbToLinear(double c) => c > 0.04045 ? Math.Pow((c + 0.055) / 1.055, 2.4) : c / 12.92;

    /// <summary>CIE Lab's f(t), as scikit-image's <c>xyz2lab</c>: cube root above 0.008856, a line below.</summary>
    public static double LabF(double t) => t > 0.008856 ? Math.Cbrt(t) : (7.787 * t) + (16.0 / 116.0);

    /// <summary>
    /// Writes L (0..100), a and b planes of the planar RGB <paramref name="rgb"/> into <paramref name="lab"/> (same
    /// layout), vectorised (see the class notes). Values outside 0..1 are clamped first.
    /// </summary>
    public static void RgbToLab(ReadOnlySpan<float> rgb, Span<float> lab, int plane) => Convert<LabPixel>(rgb, lab, plane);

    /// <summary>
    /// Writes L (0..100), a and b planes of the planar RGB <paramref name="rgb"/> into <paramref name="lab"/> (same
    /// layout) through interpolated tables of the sRGB gamma and the cube root, one pixel at a time: the arithmetic
    /// rgb64-v3 was introduced with, kept float for float (its stored test vectors pin it). Values outside 0..1 are
    /// clamped first.
    /// </summary>
    public static void RgbToLabTabulated(ReadOnlySpan<float> rgb, Span<float> lab, int plane)
    {
        CheckBuffers(rgb, lab, plane);
        ReadOnlySpan<float> r = rgb[..plane], g = rgb.Slice(plane, plane), b = rgb.Slice(2 * plane, plane);
        Span<float> l = lab[..plane], a = lab.Slice(plane, plane), bb = lab.Slice(2 * plane, plane);
        float[] lin = LinearTable, cube = CubeRootTable;
        for (int i = 0; i < plane; i++)
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

    /// <summary>
    /// Writes hue (0..1, 0 = red; 0 where the pixel is grey), saturation (chroma / max; 0 for black) and value (max)
    /// planes of the planar RGB <paramref name="rgb"/> into <paramref name="hsv"/>, as scikit-image's <c>rgb2hsv</c>.
    /// </summary>
    public static void RgbToHsv(ReadOnlySpan<float> rgb, Span<float> hsv, int plane) => Convert<HsvPixel>(rgb, hsv, plane);

    /// <summary>The one driver: whole vectors in place, then the tail through a padded stack buffer.</summary>
    private static void Convert<TPixel>(ReadOnlySpan<float> rgb, Span<float> output, int plane)
        where TPixel : IPixelConversion
    {
        CheckBuffers(rgb, output, plane);

        ReadOnlySpan<float> r = rgb[..plane], g = rgb.Slice(plane, plane), b = rgb.Slice(2 * plane, plane);
        Span<float> o0 = output[..plane], o1 = output.Slice(plane, plane), o2 = output.Slice(2 * plane, plane);
        int width = Vector<float>.Count, i = 0;
        for (; i <= plane - width; i += width)
        {
            TPixel.Invoke(new Vector<float>(r[i..]), new Vector<float>(g[i..]), new Vector<float>(b[i..]), out var x, out var y, out var z);
            x.CopyTo(o0[i..]);
            y.CopyTo(o1[i..]);
            z.CopyTo(o2[i..]);
        }

        int rest = plane - i;
        if (rest > 0)
        {
            Span<float> pad = stackalloc float[3 * width];
            pad.Clear();
            r[i..].CopyTo(pad);
            g[i..].CopyTo(pad[width..]);
            b[i..].CopyTo(pad[(2 * width)..]);
            TPixel.Invoke(new Vector<float>(pad), new Vector<float>(pad[width..]), new Vector<float>(pad[(2 * width)..]), out var x, out var y, out var z);
            x.CopyTo(pad);
            y.CopyTo(pad[width..]);
            z.CopyTo(pad[(2 * width)..]);
            pad[..rest].CopyTo(o0[i..]);
            pad.Slice(width, rest).CopyTo(o1[i..]);
            pad.Slice(2 * width, rest).CopyTo(o2[i..]);
        }
    }

    /// <summary>One vector of pixels from R, G, B to three output channels.</summary>
    private interface IPixelConversion
    {
        static abstract void Invoke(Vector<float> r, Vector<float> g, Vector<float> b, out Vector<float> c0, out Vector<float> c1, out Vector<float> c2);
    }

    private readonly struct LabPixel : IPixelConversion
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Invoke(Vector<float> r, Vector<float> g, Vector<float> b, out Vector<float> c0, out Vector<float> c1, out Vector<float> c2)
        {
            Vector<float> rl = Linear(r), gl = Linear(g), bl = Linear(b);
            Vector<float> x = ((0.412453f * rl) + (0.357580f * gl) + (0.180423f * bl)) * (1f / 0.95047f);
            Vector<float> y = (0.212671f * rl) + (0.715160f * gl) + (0.072169f * bl);
            Vector<float> z = ((0.019334f * rl) + (0.119193f * gl) + (0.950227f * bl)) * (1f / 1.08883f);
            Vector<float> fx = LabF(x), fy = LabF(y), fz = LabF(z);
            c0 = (116f * fy) - new Vector<float>(16f);
            c1 = 500f * (fx - fy);
            c2 = 200f * (fy - fz);
        }
    }

    private readonly struct HsvPixel : IPixelConversion
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Invoke(Vector<float> r, Vector<float> g, Vector<float> b, out Vector<float> c0, out Vector<float> c1, out Vector<float> c2)
        {
            Vector<float> max = Vector.Max(r, Vector.Max(g, b));
            Vector<float> chroma = max - Vector.Min(r, Vector.Min(g, b));
            Vector<float> hue = Vector.ConditionalSelect(
                Vector.Equals(max, r),
                (g - b) / chroma,
                Vector.ConditionalSelect(Vector.Equals(max, g), new Vector<float>(2f) + ((b - r) / chroma), new Vector<float>(4f) + ((r - g) / chroma)));
            hue /= new Vector<float>(6f);
            hue -= Vector.Floor(hue);
            c0 = Vector.ConditionalSelect(Vector.GreaterThan(chroma, Vector<float>.Zero), hue, Vector<float>.Zero);
            c1 = Vector.ConditionalSelect(Vector.GreaterThan(max, Vector<float>.Zero), chroma / max, Vector<float>.Zero);
            c2 = max;
        }
    }

    /// <summary>sRGB to linear light, the input clamped to 0..1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Linear(Vector<float> c)
    {
        c = Vector.Min(Vector.Max(c, Vector<float>.Zero), Vector<float>.One);
        Vector<float> curve = Exp2(2.4f * Log2((c + new Vector<float>(0.055f)) * (1f / 1.055f)));
        return Vector.ConditionalSelect(Vector.GreaterThan(c, new Vector<float>(0.04045f)), curve, c * (1f / 12.92f));
    }

    /// <summary>CIE Lab's f(t) on non-negative t (negative t, out of gamut, clamps to 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> LabF(Vector<float> t)
    {
        t = Vector.Max(t, Vector<float>.Zero);
        return Vector.ConditionalSelect(Vector.GreaterThan(t, new Vector<float>(0.008856f)), Cbrt(t), (7.787f * t) + new Vector<float>(16f / 116f));
    }

    /// <summary>Cube root of positive normal floats: exponent / 3 by integer arithmetic, then two Halley steps (cubic convergence).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Cbrt(Vector<float> t)
    {
        // bits / 3 + about 2/3 of the exponent bias (Kahan's constant): within 5 % of the cube root; each Halley step cubes
        // the relative error. The division goes through float: no integer vector division in hardware.
        Vector<int> third = Vector.ConvertToInt32(Vector.ConvertToSingle(Vector.AsVectorInt32(t)) * (1f / 3f));
        Vector<float> y = Vector.AsVectorSingle(third + new Vector<int>(709_921_077));
        for (int step = 0; step < 2; step++)
        {
            Vector<float> y3 = y * y * y;
            y *= (y3 + t + t) / (y3 + y3 + t);
        }

        return y;
    }

    /// <summary>log2 of positive normal floats: exponent plus 2 atanh(s) / ln 2 of the mantissa in [0.707, 1.414).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Log2(Vector<float> x)
    {
        Vector<int> bits = Vector.AsVectorInt32(x);
        Vector<int> e = Vector.ShiftRightArithmetic(bits - new Vector<int>(0x3F3504F3), 23); // mantissa below sqrt(1/2) borrows from the exponent
        Vector<float> m = Vector.AsVectorSingle(bits - Vector.ShiftLeft(e, 23));
        Vector<float> s = (m - Vector<float>.One) / (m + Vector<float>.One), s2 = s * s;
        Vector<float> series = ((((((s2 * (1f / 9f)) + new Vector<float>(1f / 7f)) * s2) + new Vector<float>(1f / 5f)) * s2) + new Vector<float>(1f / 3f)) * s2;
        return Vector.ConvertToSingle(e) + (s * (Vector<float>.One + series) * (2f / MathF.Log(2f)));
    }

    /// <summary>2^y for y in about -126..0: 2^round(y) by integer arithmetic times a degree-6 polynomial of 2^f, |f| &lt;= 0.5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Exp2(Vector<float> y)
    {
        Vector<float> n = Vector.Floor(Vector.Max(y, new Vector<float>(-126f)) + new Vector<float>(0.5f));
        Vector<float> f = (y - n) * MathF.Log(2f);
        Vector<float> p = new Vector<float>(1f / 720f);
        p = (p * f) + new Vector<float>(1f / 120f);
        p = (p * f) + new Vector<float>(1f / 24f);
        p = (p * f) + new Vector<float>(1f / 6f);
        p = (p * f) + new Vector<float>(0.5f);
        p = (p * f) + Vector<float>.One;
        p = (p * f) + Vector<float>.One;
        return p * Vector.AsVectorSingle(Vector.ShiftLeft(Vector.ConvertToInt32(n) + new Vector<int>(127), 23));
    }

    private static void CheckBuffers(ReadOnlySpan<float> rgb, Span<float> output, int plane)
    {
        if (plane < 0 || rgb.Length < 3 * plane || output.Length < 3 * plane)
        {
            throw new ArgumentException($"input and output buffers need {3 * plane} floats");
        }
    }

    /// <summary>Linear interpolation in a table of f over [0, end]; values outside are clamped to the ends.</summary>
    private static float Lookup(float[] table, float value, float end)
    {
        float t = Math.Clamp(value, 0f, end) * ((TableSize - 1) / end);
        int i = Math.Min((int)t, TableSize - 2);
        float frac = t - i;
        return table[i] + (frac * (table[i + 1] - table[i]));
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
