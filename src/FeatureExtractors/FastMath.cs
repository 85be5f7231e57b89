using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// Vectorised magnitude and orientation. The scalar and vector paths do the same float operations in the
/// same order, so a pixel's result does not depend on where it falls in the buffer.
/// </summary>
internal static class FastMath
{
    private const float Pi = MathF.PI;
    private const float HalfPi = MathF.PI / 2f;
    private const float QuarterPi = MathF.PI / 4f;
    private const float TwoPi = 2f * MathF.PI;
    private const float TanPiOver8 = 0.41421356237f;
    private const float C3 = 8.05374449538e-2f;
    private const float C2 = -1.38776856032e-1f;
    private const float C1 = 1.99777106478e-1f;
    private const float C0 = -3.33329491539e-1f;

    /// <summary>
    /// Orientation of (gx, gy) in radians, image convention (y down): signed in [0, 2 pi), unsigned in
    /// [0, pi). Cephes-style atan (about 1e-7 relative error); a zero vector gives 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Angle(float gx, float gy, bool signed)
    {
        float ax = MathF.Abs(gx), ay = MathF.Abs(gy);
        float mx = MathF.Max(ax, ay), mn = MathF.Min(ax, ay);
        float a = mx == 0f ? 0f : mn / mx;
        bool big = a > TanPiOver8;
        float ar = big ? (a - 1f) / (a + 1f) : a;
        float off = big ? QuarterPi : 0f;
        float z = ar * ar;
        float p = (((((((C3 * z) + C2) * z) + C1) * z) + C0) * z * ar) + ar;
        float r = off + p;
        if (ay > ax)
        {
            r = HalfPi - r;
        }

        if (gx < 0f)
        {
            r = Pi - r;
        }

        if (signed)
        {
            if (gy < 0f)
            {
                r = TwoPi - r;
            }

            if (r >= TwoPi)
            {
                r -= TwoPi;
            }
        }
        else
        {
            if (gy < 0f)
            {
                r = Pi - r;
            }

            if (r >= Pi)
            {
                r -= Pi;
            }
        }

        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Angle(Vector256<float> gx, Vector256<float> gy, bool signed)
    {
        Vector256<float> zero = Vector256<float>.Zero;
        Vector256<float> ax = Vector256.Abs(gx), ay = Vector256.Abs(gy);
        Vector256<float> mx = Vector256.Max(ax, ay), mn = Vector256.Min(ax, ay);
        Vector256<float> a = Vector256.ConditionalSelect(Vector256.Equals(mx, zero), zero, mn / mx);
        Vector256<float> one = Vector256.Create(1f);
        Vector256<float> big = Vector256.GreaterThan(a, Vector256.Create(TanPiOver8));
        Vector256<float> ar = Vector256.ConditionalSelect(big, (a - one) / (a + one), a);
        Vector256<float> off = Vector256.ConditionalSelect(big, Vector256.Create(QuarterPi), zero);
        Vector256<float> z = ar * ar;
        Vector256<float> p = (((((((Vector256.Create(C3) * z) + Vector256.Create(C2)) * z) + Vector256.Create(C1)) * z) + Vector256.Create(C0)) * z * ar) + ar;
        Vector256<float> r = off + p;
        r = Vector256.ConditionalSelect(Vector256.GreaterThan(ay, ax), Vector256.Create(HalfPi) - r, r);
        r = Vector256.ConditionalSelect(Vector256.LessThan(gx, zero), Vector256.Create(Pi) - r, r);
        Vector256<float> period = Vector256.Create(signed ? TwoPi : Pi);
        r = Vector256.ConditionalSelect(Vector256.LessThan(gy, zero), period - r, r);
        r = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(r, period), r - period, r);
        return r;
    }

    /// <summary>magnitude = sqrt(gx^2 + gy^2); angle = orientation (see <see cref="Angle(float, float, bool)"/>) times <paramref name="angleScale"/>.</summary>
    public static void MagnitudeAngle(ReadOnlySpan<float> gx, ReadOnlySpan<float> gy, Span<float> magnitude, Span<float> angle, bool signed, float angleScale)
    {
        int n = gx.Length;
        if (gy.Length < n || magnitude.Length < n || angle.Length < n)
        {
            throw new ArgumentException("buffers are too short");
        }

        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float rx = ref MemoryMarshal.GetReference(gx);
            ref float ry = ref MemoryMarshal.GetReference(gy);
            ref float rm = ref MemoryMarshal.GetReference(magnitude);
            ref float ra = ref MemoryMarshal.GetReference(angle);
            Vector256<float> scale = Vector256.Create(angleScale);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> x = Vector256.LoadUnsafe(ref rx, (nuint)i);
                Vector256<float> y = Vector256.LoadUnsafe(ref ry, (nuint)i);
                Vector256.Sqrt((x * x) + (y * y)).StoreUnsafe(ref rm, (nuint)i);
                (Angle(x, y, signed) * scale).StoreUnsafe(ref ra, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float x = gx[i], y = gy[i];
            magnitude[i] = MathF.Sqrt((x * x) + (y * y));
            angle[i] = Angle(x, y, signed) * angleScale;
        }
    }

    /// <summary>magnitude = sqrt(gx^2 + gy^2).</summary>
    public static void Magnitude(ReadOnlySpan<float> gx, ReadOnlySpan<float> gy, Span<float> magnitude)
    {
        int n = gx.Length;
        if (gy.Length < n || magnitude.Length < n)
        {
            throw new ArgumentException("buffers are too short");
        }

        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float rx = ref MemoryMarshal.GetReference(gx);
            ref float ry = ref MemoryMarshal.GetReference(gy);
            ref float rm = ref MemoryMarshal.GetReference(magnitude);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> x = Vector256.LoadUnsafe(ref rx, (nuint)i);
                Vector256<float> y = Vector256.LoadUnsafe(ref ry, (nuint)i);
                Vector256.Sqrt((x * x) + (y * y)).StoreUnsafe(ref rm, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float x = gx[i], y = gy[i];
            magnitude[i] = MathF.Sqrt((x * x) + (y * y));
        }
    }
}
