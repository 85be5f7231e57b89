using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// 2-D cross-correlation and convolution of one float plane (row-major, <c>width</c> x <c>height</c>).
/// <para>
/// Cross-correlation is the textbook one: <c>Y[i, j] = sum_a sum_b X[i + a, j + b] * K[a, b]</c>. Without a
/// padding mode the output is "valid": <c>(H - h + 1) x (W - w + 1)</c>. With a <see cref="PaddingMode"/> it is
/// "same" size, the kernel anchored at (<see cref="Kernel2D.AnchorY"/>, <see cref="Kernel2D.AnchorX"/>).
/// A stride s keeps every s-th output row and column starting at 0: valid size <c>(H - h) / s + 1</c>, same
/// size <c>ceil(H / s)</c>. Convolution is correlation with <see cref="Kernel2D.Flipped"/>.
/// </para>
/// The static helpers rent temporary buffers from <see cref="ArrayPool{T}.Shared"/> (no garbage after warm-up).
/// </summary>
public static class Correlation
{
    /// <summary>Output size of valid-mode filtering.</summary>
    /// <exception cref="ArgumentException">the kernel is larger than the image or the stride is not positive.</exception>
    public static (int Width, int Height) ValidSize(int width, int height, int kernelWidth, int kernelHeight, int stride = 1)
    {
        CheckImage(width, height);
        CheckStride(stride);
        if (kernelWidth <= 0 || kernelHeight <= 0)
        {
            throw new ArgumentException($"kernel size must be positive, got {kernelWidth}x{kernelHeight}", nameof(kernelWidth));
        }

        if (kernelWidth > width || kernelHeight > height)
        {
            throw new ArgumentException(
                $"a {kernelWidth}x{kernelHeight} kernel does not fit a {width}x{height} image in valid mode", nameof(kernelWidth));
        }

        return (((width - kernelWidth) / stride) + 1, ((height - kernelHeight) / stride) + 1);
    }

    /// <summary>Output size of same-mode (padded) filtering: <c>ceil(size / stride)</c>.</summary>
    public static (int Width, int Height) SameSize(int width, int height, int stride = 1)
    {
        CheckImage(width, height);
        CheckStride(stride);
        return (((width - 1) / stride) + 1, ((height - 1) / stride) + 1);
    }

    /// <summary>Valid-mode cross-correlation (the textbook <c>corr2d</c>).</summary>
    public static void Corr2d(ReadOnlySpan<float> image, int width, int height, Kernel2D kernel, Span<float> output, int stride = 1)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        var (ow, oh) = ValidSize(width, height, kernel.Width, kernel.Height, stride);
        CheckBuffers(image, width * height, output, ow * oh);
        ValidCore(image, width, kernel.Values, kernel.Width, kernel.Height, output, ow, oh, stride);
    }

    /// <summary>Same-size cross-correlation with the given padding.</summary>
    public static void Corr2d(ReadOnlySpan<float> image, int width, int height, Kernel2D kernel, PaddingMode padding, Span<float> output, int stride = 1)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        var (ow, oh) = SameSize(width, height, stride);
        CheckBuffers(image, width * height, output, ow * oh);
        int left = kernel.AnchorX, top = kernel.AnchorY;
        int pw = width + kernel.Width - 1, ph = height + kernel.Height - 1;
        float[] padded = ArrayPool<float>.Shared.Rent(pw * ph);
        try
        {
            Pad(image, width, height, left, top, kernel.Width - 1 - left, kernel.Height - 1 - top, padding, padded.AsSpan(0, pw * ph));
            ValidCore(padded.AsSpan(0, pw * ph), pw, kernel.Values, kernel.Width, kernel.Height, output, ow, oh, stride);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(padded);
        }
    }

    /// <summary>Valid-mode convolution: correlation with the kernel rotated by 180 degrees.</summary>
    public static void Convolve(ReadOnlySpan<float> image, int width, int height, Kernel2D kernel, Span<float> output, int stride = 1)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        Corr2d(image, width, height, kernel.Flipped(), output, stride);
    }

    /// <summary>Same-size convolution: correlation with the flipped kernel (anchored as that flipped kernel).</summary>
    public static void Convolve(ReadOnlySpan<float> image, int width, int height, Kernel2D kernel, PaddingMode padding, Span<float> output, int stride = 1)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        Corr2d(image, width, height, kernel.Flipped(), padding, output, stride);
    }

    /// <summary>
    /// Separable valid-mode correlation with <c>K[y, x] = column[y] * row[x]</c>: a horizontal pass with
    /// <paramref name="row"/> then a vertical pass with <paramref name="column"/> (w + h instead of w * h
    /// multiplications per pixel). Equal to <see cref="Corr2d(ReadOnlySpan{float}, int, int, Kernel2D, Span{float}, int)"/>
    /// up to rounding.
    /// </summary>
    public static void Corr2dSeparable(ReadOnlySpan<float> image, int width, int height, ReadOnlySpan<float> row, ReadOnlySpan<float> column, Span<float> output, int stride = 1)
    {
        var (ow, oh) = ValidSize(width, height, row.Length, column.Length, stride);
        CheckBuffers(image, width * height, output, ow * oh);
        SeparableCore(image, width, height, row, column, output, ow, oh, stride);
    }

    /// <summary>Separable same-size correlation with padding (anchor <c>row.Length / 2</c>, <c>column.Length / 2</c>).</summary>
    public static void Corr2dSeparable(ReadOnlySpan<float> image, int width, int height, ReadOnlySpan<float> row, ReadOnlySpan<float> column, PaddingMode padding, Span<float> output, int stride = 1)
    {
        if (row.IsEmpty || column.IsEmpty)
        {
            throw new ArgumentException("separable factors must not be empty");
        }

        var (ow, oh) = SameSize(width, height, stride);
        CheckBuffers(image, width * height, output, ow * oh);
        int left = row.Length / 2, top = column.Length / 2;
        int pw = width + row.Length - 1, ph = height + column.Length - 1;
        float[] padded = ArrayPool<float>.Shared.Rent(pw * ph);
        try
        {
            Pad(image, width, height, left, top, row.Length - 1 - left, column.Length - 1 - top, padding, padded.AsSpan(0, pw * ph));
            SeparableCore(padded.AsSpan(0, pw * ph), pw, ph, row, column, output, ow, oh, stride);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(padded);
        }
    }

    /// <summary>
    /// Same-size correlation that takes the separable path when <paramref name="kernel"/> has factors and the
    /// full 2-D path otherwise.
    /// </summary>
    public static void Filter(ReadOnlySpan<float> image, int width, int height, Kernel2D kernel, PaddingMode padding, Span<float> output, int stride = 1)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        if (kernel.IsSeparable)
        {
            Corr2dSeparable(image, width, height, kernel.RowFactor, kernel.ColumnFactor, padding, output, stride);
        }
        else
        {
            Corr2d(image, width, height, kernel, padding, output, stride);
        }
    }

    /// <summary>
    /// Copies <paramref name="image"/> into the centre of <paramref name="output"/>
    /// (<c>(left + width + right) x (top + height + bottom)</c>) and fills the border by <paramref name="mode"/>.
    /// </summary>
    public static void Pad(ReadOnlySpan<float> image, int width, int height, int left, int top, int right, int bottom, PaddingMode mode, Span<float> output)
    {
        CheckImage(width, height);
        if (left < 0 || top < 0 || right < 0 || bottom < 0)
        {
            throw new ArgumentException("padding amounts must not be negative");
        }

        int pw = left + width + right, ph = top + height + bottom;
        CheckBuffers(image, width * height, output, pw * ph);
        for (int py = 0; py < ph; py++)
        {
            Span<float> dst = output.Slice(py * pw, pw);
            int sy = MapIndex(py - top, height, mode);
            if (sy < 0)
            {
                dst.Clear();
                continue;
            }

            ReadOnlySpan<float> src = image.Slice(sy * width, width);
            for (int px = 0; px < left; px++)
            {
                int sx = MapIndex(px - left, width, mode);
                dst[px] = sx < 0 ? 0f : src[sx];
            }

            src.CopyTo(dst.Slice(left, width));
            for (int px = left + width; px < pw; px++)
            {
                int sx = MapIndex(px - left, width, mode);
                dst[px] = sx < 0 ? 0f : src[sx];
            }
        }
    }

    /// <summary>Maps a possibly out-of-range index into <c>[0, n)</c> by <paramref name="mode"/>; -1 means "zero".</summary>
    public static int MapIndex(int i, int n, PaddingMode mode)
    {
        if ((uint)i < (uint)n)
        {
            return i;
        }

        switch (mode)
        {
            case PaddingMode.Zero:
                return -1;
            case PaddingMode.Replicate:
                return i < 0 ? 0 : n - 1;
            case PaddingMode.Reflect:
                if (n == 1)
                {
                    return 0;
                }

                int period = 2 * (n - 1);
                int m = i % period;
                if (m < 0)
                {
                    m += period;
                }

                return m < n ? m : period - m;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown padding mode");
        }
    }

    private static void ValidCore(ReadOnlySpan<float> src, int srcWidth, ReadOnlySpan<float> k, int kw, int kh, Span<float> output, int ow, int oh, int stride)
    {
        if (stride == 1)
        {
            for (int y = 0; y < oh; y++)
            {
                Span<float> dst = output.Slice(y * ow, ow);
                dst.Clear();
                for (int ky = 0; ky < kh; ky++)
                {
                    ReadOnlySpan<float> srcRow = src.Slice((y + ky) * srcWidth);
                    for (int kx = 0; kx < kw; kx++)
                    {
                        float kv = k[(ky * kw) + kx];
                        if (kv != 0f)
                        {
                            Axpy(srcRow.Slice(kx, ow), kv, dst);
                        }
                    }
                }
            }

            return;
        }

        for (int y = 0; y < oh; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                float sum = 0f;
                int baseIndex = (y * stride * srcWidth) + (x * stride);
                for (int ky = 0; ky < kh; ky++)
                {
                    int rowIndex = baseIndex + (ky * srcWidth);
                    for (int kx = 0; kx < kw; kx++)
                    {
                        sum += src[rowIndex + kx] * k[(ky * kw) + kx];
                    }
                }

                output[(y * ow) + x] = sum;
            }
        }
    }

    private static void SeparableCore(ReadOnlySpan<float> src, int srcWidth, int srcHeight, ReadOnlySpan<float> row, ReadOnlySpan<float> column, Span<float> output, int ow, int oh, int stride)
    {
        int tw = srcWidth - row.Length + 1; // stride-1 width of the horizontal pass
        float[] tmpArray = ArrayPool<float>.Shared.Rent(tw * srcHeight);
        try
        {
            Span<float> tmp = tmpArray.AsSpan(0, tw * srcHeight);
            for (int y = 0; y < srcHeight; y++)
            {
                Span<float> dst = tmp.Slice(y * tw, tw);
                dst.Clear();
                ReadOnlySpan<float> srcRow = src.Slice(y * srcWidth, srcWidth);
                for (int kx = 0; kx < row.Length; kx++)
                {
                    if (row[kx] != 0f)
                    {
                        Axpy(srcRow.Slice(kx, tw), row[kx], dst);
                    }
                }
            }

            for (int y = 0; y < oh; y++)
            {
                Span<float> dst = output.Slice(y * ow, ow);
                if (stride == 1)
                {
                    dst.Clear();
                    for (int ky = 0; ky < column.Length; ky++)
                    {
                        if (column[ky] != 0f)
                        {
                            Axpy(tmp.Slice((y + ky) * tw, ow), column[ky], dst);
                        }
                    }
                }
                else
                {
                    for (int x = 0; x < ow; x++)
                    {
                        float sum = 0f;
                        for (int ky = 0; ky < column.Length; ky++)
                        {
                            sum += tmp[((y * stride) + ky) * tw + (x * stride)] * column[ky];
                        }

                        dst[x] = sum;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(tmpArray);
        }
    }

    /// <summary>y += a * x (same lengths), inlined: the rows here are short, so a library call would dominate.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(ReadOnlySpan<float> x, float a, Span<float> y)
    {
        int n = y.Length, i = 0;
        if (x.Length < n)
        {
            throw new ArgumentException("source row is too short");
        }

        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float ry = ref MemoryMarshal.GetReference(y);
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> va = Vector256.Create(a);
            for (; i <= n - 8; i += 8)
            {
                (Vector256.LoadUnsafe(ref ry, (nuint)i) + (Vector256.LoadUnsafe(ref rx, (nuint)i) * va)).StoreUnsafe(ref ry, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref ry, i) += Unsafe.Add(ref rx, i) * a;
        }
    }

    private static void CheckImage(int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ArgumentException($"image size must be positive, got {width}x{height}", nameof(width));
        }
    }

    private static void CheckStride(int stride)
    {
        if (stride <= 0)
        {
            throw new ArgumentException($"stride must be positive, got {stride}", nameof(stride));
        }
    }

    private static void CheckBuffers(ReadOnlySpan<float> image, int imageLength, Span<float> output, int outputLength)
    {
        if (image.Length != imageLength)
        {
            throw new ArgumentException($"image buffer holds {image.Length} floats, the size says {imageLength}", nameof(image));
        }

        if (output.Length < outputLength)
        {
            throw new ArgumentException($"output buffer holds {output.Length} floats, {outputLength} are needed", nameof(output));
        }
    }
}
