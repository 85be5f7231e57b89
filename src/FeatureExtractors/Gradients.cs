using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// Image gradients: x and y derivatives (fused, vectorised 3x3 stencils), magnitude and orientation.
/// <para>
/// Conventions: x grows to the right, y grows downwards; gx &gt; 0 where intensity rises to the right. For a
/// colour image each pixel takes the gradient of the channel with the largest magnitude (Dalal-Triggs,
/// scikit-image, OpenCV HOGDescriptor); ties go to the earlier channel.
/// </para>
/// </summary>
public static class Gradients
{
    private const int StackRowLimit = 1024;

    /// <summary>
    /// Writes gx and gy (each one plane, <c>shape.PlaneLength</c> floats) for a planar grey or colour image.
    /// Allocation-free (rows of scratch for colour live on the stack, or are rented for very wide images).
    /// </summary>
    public static void Compute(ReadOnlySpan<float> image, ImageShape shape, Span<float> gx, Span<float> gy,
        GradientOperator op = GradientOperator.Sobel, GradientBorder border = GradientBorder.Replicate)
    {
        shape.Validate();
        int plane = shape.PlaneLength;
        if (image.Length != shape.Length)
        {
            throw new ArgumentException($"image buffer holds {image.Length} floats, a {shape} image needs {shape.Length}", nameof(image));
        }

        if (gx.Length < plane || gy.Length < plane)
        {
            throw new ArgumentException($"gradient buffers need {plane} floats each");
        }

        int w = shape.Width, h = shape.Height;
        bool zero = border == GradientBorder.ZeroGradient;
        ComputePlane(image[..plane], w, h, gx, gy, op);
        if (zero)
        {
            ZeroBorder(gx, gy, w, h);
        }

        if (shape.Channels > 1)
        {
            float[]? rented = null;
            Span<float> rows = w <= StackRowLimit ? stackalloc float[2 * w] : (rented = ArrayPool<float>.Shared.Rent(2 * w));
            try
            {
                Span<float> rx = rows[..w], ry = rows.Slice(w, w);
                for (int c = 1; c < shape.Channels; c++)
                {
                    ReadOnlySpan<float> p = image.Slice(c * plane, plane);
                    for (int y = 0; y < h; y++)
                    {
                        Row(p, w, h, y, rx, ry, op);
                        if (zero)
                        {
                            // zero this channel's border before choosing, as scikit-image does
                            rx[0] = 0f;
                            rx[w - 1] = 0f;
                            if (y == 0 || y == h - 1)
                            {
                                ry.Clear();
                            }
                        }

                        KeepStronger(rx, ry, gx.Slice(y * w, w), gy.Slice(y * w, w));
                    }
                }
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<float>.Shared.Return(rented);
                }
            }
        }
    }

    /// <summary>Fast fused 3x3 Sobel (replicate borders) of one grey plane: gx and gy in one pass.</summary>
    public static void Sobel(ReadOnlySpan<float> plane, int width, int height, Span<float> gx, Span<float> gy) =>
        Compute(plane, new ImageShape(width, height, 1), gx, gy, GradientOperator.Sobel, GradientBorder.Replicate);

    /// <summary>magnitude = sqrt(gx^2 + gy^2), vectorised.</summary>
    public static void Magnitude(ReadOnlySpan<float> gx, ReadOnlySpan<float> gy, Span<float> magnitude) =>
        FastMath.Magnitude(gx, gy, magnitude);

    /// <summary>
    /// Orientation in radians of each (gx, gy), y down: signed in [0, 2 pi) (0 = intensity rising to the right,
    /// pi/2 = rising downwards), unsigned folded into [0, pi) (a direction and its opposite are the same). A
    /// zero gradient gives 0. Vectorised; agrees with <see cref="MathF.Atan2"/> to about 1e-6 rad.
    /// </summary>
    public static void Orientation(ReadOnlySpan<float> gx, ReadOnlySpan<float> gy, Span<float> radians, bool signed)
    {
        int n = gx.Length;
        if (gy.Length < n || radians.Length < n)
        {
            throw new ArgumentException("buffers are too short");
        }

        float[] scratch = ArrayPool<float>.Shared.Rent(n);
        try
        {
            FastMath.MagnitudeAngle(gx, gy, scratch.AsSpan(0, n), radians, signed, 1f);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>Gradient of one plane (replicate borders).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a per-image loop: optimised from its first call (see Hog.ComputeVotes)
    internal static void ComputePlane(ReadOnlySpan<float> plane, int w, int h, Span<float> gx, Span<float> gy, GradientOperator op)
    {
        if (Vector256.IsHardwareAccelerated && w >= 10 && plane.Length >= w * h && gx.Length >= w * h && gy.Length >= w * h)
        {
            // lengths checked once above: rows are addressed by ref without per-row slicing
            ref float src = ref MemoryMarshal.GetReference(plane);
            ref float ox = ref MemoryMarshal.GetReference(gx);
            ref float oy = ref MemoryMarshal.GetReference(gy);
            switch (op)
            {
                case GradientOperator.Sobel:
                    SmoothedPlaneVector<SobelWeights>(ref src, ref ox, ref oy, w, h);
                    break;
                case GradientOperator.Scharr:
                    SmoothedPlaneVector<ScharrWeights>(ref src, ref ox, ref oy, w, h);
                    break;
                default:
                    for (int y = 0; y < h; y++)
                    {
                        CentralRowVector(ref Unsafe.Add(ref src, Math.Max(y - 1, 0) * w), ref Unsafe.Add(ref src, y * w), ref Unsafe.Add(ref src, Math.Min(y + 1, h - 1) * w),
                            ref Unsafe.Add(ref ox, y * w), ref Unsafe.Add(ref oy, y * w), w);
                    }

                    break;
            }

            return;
        }

        for (int y = 0; y < h; y++)
        {
            Row(plane, w, h, y, gx.Slice(y * w, w), gy.Slice(y * w, w), op);
        }
    }

    internal static void ZeroBorder(Span<float> gx, Span<float> gy, int w, int h)
    {
        for (int y = 0; y < h; y++)
        {
            gx[y * w] = 0f;
            gx[(y * w) + w - 1] = 0f;
        }

        gy[..w].Clear();
        gy.Slice((h - 1) * w, w).Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(ReadOnlySpan<float> plane, int w, int h, int y, Span<float> gx, Span<float> gy, GradientOperator op)
    {
        ReadOnlySpan<float> up = plane.Slice(Math.Max(y - 1, 0) * w, w);
        ReadOnlySpan<float> mid = plane.Slice(y * w, w);
        ReadOnlySpan<float> dn = plane.Slice(Math.Min(y + 1, h - 1) * w, w);
        switch (op)
        {
            case GradientOperator.Sobel:
                SmoothedRow<SobelWeights>(up, mid, dn, gx, gy);
                break;
            case GradientOperator.Scharr:
                SmoothedRow<ScharrWeights>(up, mid, dn, gx, gy);
                break;
            default:
                CentralRow(up, mid, dn, gx, gy);
                break;
        }
    }

    /// <summary>Every row of a plane through <see cref="SmoothedRowVector{T}"/>; w &gt;= 10, lengths checked by the caller.</summary>
    private static void SmoothedPlaneVector<T>(ref float src, ref float ox, ref float oy, int w, int h)
        where T : struct, ISmoothing
    {
        for (int y = 0; y < h; y++)
        {
            SmoothedRowVector<T>(ref Unsafe.Add(ref src, Math.Max(y - 1, 0) * w), ref Unsafe.Add(ref src, y * w), ref Unsafe.Add(ref src, Math.Min(y + 1, h - 1) * w),
                ref Unsafe.Add(ref ox, y * w), ref Unsafe.Add(ref oy, y * w), w);
        }
    }

    private static void SmoothedRow<T>(ReadOnlySpan<float> up, ReadOnlySpan<float> mid, ReadOnlySpan<float> dn, Span<float> gx, Span<float> gy)
        where T : struct, ISmoothing
    {
        int w = mid.Length;
        if (Vector256.IsHardwareAccelerated && w >= 10)
        {
            SmoothedRowVector<T>(ref MemoryMarshal.GetReference(up), ref MemoryMarshal.GetReference(mid), ref MemoryMarshal.GetReference(dn),
                ref MemoryMarshal.GetReference(gx), ref MemoryMarshal.GetReference(gy), w);
            return;
        }

        for (int x = 0; x < w; x++)
        {
            SmoothedAt<T>(up, mid, dn, gx, gy, x);
        }
    }

    /// <summary>
    /// One row of a fused smoothed-derivative 3x3 stencil (Sobel, Scharr: <typeparamref name="T"/> gives the
    /// smoothing weights), w &gt;= 10, vector hardware present; callers guarantee the row lengths.
    /// gx = smooth(column differences), gy = smooth(down row) - smooth(up row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SmoothedRowVector<T>(ref float u, ref float m, ref float d, ref float ox, ref float oy, int w)
        where T : struct, ISmoothing
    {
        const int N = 8;
        int last = w - 1;
        if (Vector512.IsHardwareAccelerated && w >= 18)
        {
            for (int x = 1; ; x += 16)
            {
                if (x > last - 16)
                {
                    x = last - 16;
                }

                nuint l = (nuint)(x - 1), c = (nuint)x, r = (nuint)(x + 1);
                Vector512<float> ul = Vector512.LoadUnsafe(ref u, l), uc = Vector512.LoadUnsafe(ref u, c), ur = Vector512.LoadUnsafe(ref u, r);
                Vector512<float> ml = Vector512.LoadUnsafe(ref m, l), mr = Vector512.LoadUnsafe(ref m, r);
                Vector512<float> dl = Vector512.LoadUnsafe(ref d, l), dc = Vector512.LoadUnsafe(ref d, c), dr = Vector512.LoadUnsafe(ref d, r);
                T.Smooth(ur - ul, mr - ml, dr - dl).StoreUnsafe(ref ox, c);
                (T.Smooth(dl, dc, dr) - T.Smooth(ul, uc, ur)).StoreUnsafe(ref oy, c);
                if (x == last - 16)
                {
                    break;
                }
            }

            SmoothedEdges<T>(ref u, ref m, ref d, ref ox, ref oy, last);
            return;
        }

        // interior x in [1, w-2]; the final vector overlaps the previous one (same values rewritten)
        for (int x = 1; ; x += N)
        {
            if (x > last - N)
            {
                x = last - N;
            }

            nuint l = (nuint)(x - 1), c = (nuint)x, r = (nuint)(x + 1);
            Vector256<float> ul = Vector256.LoadUnsafe(ref u, l), uc = Vector256.LoadUnsafe(ref u, c), ur = Vector256.LoadUnsafe(ref u, r);
            Vector256<float> ml = Vector256.LoadUnsafe(ref m, l), mr = Vector256.LoadUnsafe(ref m, r);
            Vector256<float> dl = Vector256.LoadUnsafe(ref d, l), dc = Vector256.LoadUnsafe(ref d, c), dr = Vector256.LoadUnsafe(ref d, r);
            T.Smooth(ur - ul, mr - ml, dr - dl).StoreUnsafe(ref ox, c);
            (T.Smooth(dl, dc, dr) - T.Smooth(ul, uc, ur)).StoreUnsafe(ref oy, c);
            if (x == last - N)
            {
                break;
            }
        }

        SmoothedEdges<T>(ref u, ref m, ref d, ref ox, ref oy, last);
    }

    /// <summary>Borders (replicate): x = 0 uses columns (0, 0, 1), x = last uses (last - 1, last, last). Needs last &gt;= 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SmoothedEdges<T>(ref float u, ref float m, ref float d, ref float ox, ref float oy, int last)
        where T : struct, ISmoothing
    {
        float u0 = u, u1 = Unsafe.Add(ref u, 1), m0 = m, m1 = Unsafe.Add(ref m, 1), d0 = d, d1 = Unsafe.Add(ref d, 1);
        ox = T.Smooth(u1 - u0, m1 - m0, d1 - d0);
        oy = T.Smooth(d0, d0, d1) - T.Smooth(u0, u0, u1);
        float ua = Unsafe.Add(ref u, last - 1), ub = Unsafe.Add(ref u, last), ma = Unsafe.Add(ref m, last - 1), mb = Unsafe.Add(ref m, last);
        float da = Unsafe.Add(ref d, last - 1), db = Unsafe.Add(ref d, last);
        Unsafe.Add(ref ox, last) = T.Smooth(ub - ua, mb - ma, db - da);
        Unsafe.Add(ref oy, last) = T.Smooth(da, db, db) - T.Smooth(ua, ub, ub);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SmoothedAt<T>(ReadOnlySpan<float> up, ReadOnlySpan<float> mid, ReadOnlySpan<float> dn, Span<float> gx, Span<float> gy, int x)
        where T : struct, ISmoothing
    {
        int l = Math.Max(x - 1, 0), r = Math.Min(x + 1, mid.Length - 1);
        gx[x] = T.Smooth(up[r] - up[l], mid[r] - mid[l], dn[r] - dn[l]);
        gy[x] = T.Smooth(dn[l], dn[x], dn[r]) - T.Smooth(up[l], up[x], up[r]);
    }

    private static void CentralRow(ReadOnlySpan<float> up, ReadOnlySpan<float> mid, ReadOnlySpan<float> dn, Span<float> gx, Span<float> gy)
    {
        int w = mid.Length;
        if (Vector256.IsHardwareAccelerated && w >= 10)
        {
            CentralRowVector(ref MemoryMarshal.GetReference(up), ref MemoryMarshal.GetReference(mid), ref MemoryMarshal.GetReference(dn),
                ref MemoryMarshal.GetReference(gx), ref MemoryMarshal.GetReference(gy), w);
            return;
        }

        for (int x = 0; x < w; x++)
        {
            CentralAt(up, mid, dn, gx, gy, x);
        }
    }

    /// <summary>One row of central differences, w &gt;= 10, vector hardware present; callers guarantee the row lengths.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CentralRowVector(ref float u, ref float m, ref float d, ref float ox, ref float oy, int w)
    {
        const int N = 8;
        int last = w - 1;
        // gy = down - up over the whole row (replicated rows at the top and bottom are passed in as u / d)
        int x = 0;
        for (; x <= w - N; x += N)
        {
            (Vector256.LoadUnsafe(ref d, (nuint)x) - Vector256.LoadUnsafe(ref u, (nuint)x)).StoreUnsafe(ref oy, (nuint)x);
        }

        if (x < w)
        {
            nuint t = (nuint)(w - N);
            (Vector256.LoadUnsafe(ref d, t) - Vector256.LoadUnsafe(ref u, t)).StoreUnsafe(ref oy, t);
        }

        // gx = m[x + 1] - m[x - 1] inside, one-sided at the ends (replicate)
        for (x = 1; ; x += N)
        {
            if (x > last - N)
            {
                x = last - N;
            }

            nuint c = (nuint)x;
            (Vector256.LoadUnsafe(ref m, c + 1) - Vector256.LoadUnsafe(ref m, c - 1)).StoreUnsafe(ref ox, c);
            if (x == last - N)
            {
                break;
            }
        }

        ox = Unsafe.Add(ref m, 1) - m;
        Unsafe.Add(ref ox, last) = Unsafe.Add(ref m, last) - Unsafe.Add(ref m, last - 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CentralAt(ReadOnlySpan<float> up, ReadOnlySpan<float> mid, ReadOnlySpan<float> dn, Span<float> gx, Span<float> gy, int x)
    {
        int l = Math.Max(x - 1, 0), r = Math.Min(x + 1, mid.Length - 1);
        gx[x] = mid[r] - mid[l];
        gy[x] = dn[x] - up[x];
    }

    private static void KeepStronger(ReadOnlySpan<float> cx, ReadOnlySpan<float> cy, Span<float> gx, Span<float> gy)
    {
        int w = cx.Length, x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float rcx = ref MemoryMarshal.GetReference(cx);
            ref float rcy = ref MemoryMarshal.GetReference(cy);
            ref float rgx = ref MemoryMarshal.GetReference(gx);
            ref float rgy = ref MemoryMarshal.GetReference(gy);
            for (; x <= w - 8; x += 8)
            {
                Vector256<float> ax = Vector256.LoadUnsafe(ref rcx, (nuint)x), ay = Vector256.LoadUnsafe(ref rcy, (nuint)x);
                Vector256<float> bx = Vector256.LoadUnsafe(ref rgx, (nuint)x), by = Vector256.LoadUnsafe(ref rgy, (nuint)x);
                Vector256<float> stronger = Vector256.GreaterThan((ax * ax) + (ay * ay), (bx * bx) + (by * by));
                Vector256.ConditionalSelect(stronger, ax, bx).StoreUnsafe(ref rgx, (nuint)x);
                Vector256.ConditionalSelect(stronger, ay, by).StoreUnsafe(ref rgy, (nuint)x);
            }
        }

        for (; x < w; x++)
        {
            if ((cx[x] * cx[x]) + (cy[x] * cy[x]) > (gx[x] * gx[x]) + (gy[x] * gy[x]))
            {
                gx[x] = cx[x];
                gy[x] = cy[x];
            }
        }
    }

    /// <summary>
    /// The smoothing half of a separable 3x3 derivative stencil: <c>Smooth(a, b, c)</c> = side * (a + c) + centre * b
    /// in the operator's own rounding order. A struct type argument, so each operator gets its own specialised code
    /// (as TensorPrimitives' operator structs) and the weights are constants in it.
    /// </summary>
    private interface ISmoothing
    {
        static abstract float Smooth(float a, float b, float c);

        static abstract Vector256<float> Smooth(Vector256<float> a, Vector256<float> b, Vector256<float> c);

        static abstract Vector512<float> Smooth(Vector512<float> a, Vector512<float> b, Vector512<float> c);
    }

    /// <summary>Sobel's (1, 2, 1), evaluated as <c>(a + 2b) + c</c> (the order its pinned outputs were computed in).</summary>
    private readonly struct SobelWeights : ISmoothing
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Smooth(float a, float b, float c) => a + (2f * b) + c;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Smooth(Vector256<float> a, Vector256<float> b, Vector256<float> c) => a + (Vector256.Create(2f) * b) + c;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Smooth(Vector512<float> a, Vector512<float> b, Vector512<float> c) => a + (Vector512.Create(2f) * b) + c;
    }

    /// <summary>Scharr's (3, 10, 3), evaluated as <c>3(a + c) + 10b</c>.</summary>
    private readonly struct ScharrWeights : ISmoothing
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Smooth(float a, float b, float c) => (3f * (a + c)) + (10f * b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Smooth(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
            (Vector256.Create(3f) * (a + c)) + (Vector256.Create(10f) * b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Smooth(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
            (Vector512.Create(3f) * (a + c)) + (Vector512.Create(10f) * b);
    }
}
