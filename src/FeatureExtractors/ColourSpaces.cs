using System.Numerics;
using System.Runtime.CompilerServices;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// Colour-space conversions of planar RGB (values 0..1), as scikit-image's <c>rgb2lab</c> (sRGB, D65, 2-degree
/// observer) and <c>rgb2hsv</c> define them. Lab reads the two non-linear steps (the sRGB gamma and the cube root)
/// from interpolated tables (<see cref="TabulatedLab"/>: eight pixels at a time with AVX2, the same floats as one at
/// a time), within 1e-3 of the exact curves in Lab units; rgb64-v3's stored test vectors pin every float, so the
/// arithmetic must not change (a polynomial version, 8d12939, moved them by up to 3e-4). HSV is vectorised over
/// <see cref="Vector{T}"/> (128, 256 or 512 bits, as the hardware has) with the scalar formula's operations per lane;
/// the last partial vector of a plane goes through the same vector code in a padded buffer, so a pixel's result does
/// not depend on where it sits. Nothing is allocated.
/// </summary>
public static class ColourSpaces
{
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
        CheckBuffers(rgb, lab, plane);
        TabulatedLab.Convert(rgb, lab, plane);
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

    private static void CheckBuffers(ReadOnlySpan<float> rgb, Span<float> output, int plane)
    {
        if (plane < 0 || rgb.Length < 3 * plane || output.Length < 3 * plane)
        {
            throw new ArgumentException($"input and output buffers need {3 * plane} floats");
        }
    }
}
