namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// Colour-space conversions of planar RGB (values 0..1), as scikit-image's <c>rgb2lab</c> (sRGB, D65, 2-degree
/// observer) and <c>rgb2hsv</c> define them. The two non-linear steps of Lab (the sRGB gamma and the cube root) read
/// interpolated tables, so a conversion costs a few multiply-adds per pixel; the tables stay within 1e-3 of the
/// exact curves in Lab units.
/// </summary>
public static class ColourSpaces
{
    private const int TableSize = 16384;
    private static readonly float[] Linear = BuildTable(TableSize, 1f, SrgbToLinear);
    private static readonly float[] CubeRoot = BuildTable(TableSize, CubeRootEnd, LabF);

    /// <summary>Top of the cube-root table's range: the largest X/Xn, Y/Yn or Z/Zn an in-gamut colour reaches is about 1.0001.</summary>
    private const float CubeRootEnd = 1.1f;

    /// <summary>The sRGB transfer function undone (scikit-image's <c>rgb2xyz</c>).</summary>
    public static double SrgbToLinear(double c) => c > 0.04045 ? Math.Pow((c + 0.055) / 1.055, 2.4) : c / 12.92;

    /// <summary>CIE Lab's f(t), as scikit-image's <c>xyz2lab</c>: cube root above 0.008856, a line below.</summary>
    public static double LabF(double t) => t > 0.008856 ? Math.Cbrt(t) : (7.787 * t) + (16.0 / 116.0);

    /// <summary>
    /// Writes L (0..100), a and b planes of the planar RGB <paramref name="rgb"/> into <paramref name="lab"/> (same
    /// layout). Values outside 0..1 are clamped first.
    /// </summary>
    public static void RgbToLab(ReadOnlySpan<float> rgb, Span<float> lab, int plane)
    {
        if (rgb.Length < 3 * plane || lab.Length < 3 * plane)
        {
            throw new ArgumentException($"RGB and Lab buffers need {3 * plane} floats");
        }

        ReadOnlySpan<float> r = rgb[..plane], g = rgb.Slice(plane, plane), b = rgb.Slice(2 * plane, plane);
        Span<float> l = lab[..plane], a = lab.Slice(plane, plane), bb = lab.Slice(2 * plane, plane);
        float[] lin = Linear, cube = CubeRoot;
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
    public static void RgbToHsv(ReadOnlySpan<float> rgb, Span<float> hsv, int plane)
    {
        if (rgb.Length < 3 * plane || hsv.Length < 3 * plane)
        {
            throw new ArgumentException($"RGB and HSV buffers need {3 * plane} floats");
        }

        ReadOnlySpan<float> r = rgb[..plane], g = rgb.Slice(plane, plane), b = rgb.Slice(2 * plane, plane);
        Span<float> h = hsv[..plane], s = hsv.Slice(plane, plane), v = hsv.Slice(2 * plane, plane);
        for (int i = 0; i < plane; i++)
        {
            float rv = r[i], gv = g[i], bv = b[i];
            float max = MathF.Max(rv, MathF.Max(gv, bv));
            float chroma = max - MathF.Min(rv, MathF.Min(gv, bv));
            float hue = 0f;
            if (chroma > 0f)
            {
                hue = max == rv ? (gv - bv) / chroma : max == gv ? 2f + ((bv - rv) / chroma) : 4f + ((rv - gv) / chroma);
                hue = hue / 6f;
                hue -= MathF.Floor(hue);
            }

            h[i] = hue;
            s[i] = max > 0f ? chroma / max : 0f;
            v[i] = max;
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
