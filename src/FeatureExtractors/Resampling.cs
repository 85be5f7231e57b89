using System.Buffers;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>How an image is fitted into a target size whose aspect ratio may differ from its own.</summary>
public enum ResizeMode
{
    /// <summary>Scale each axis independently to fill the target; the aspect ratio is not kept.</summary>
    Stretch,

    /// <summary>Letterbox: keep the aspect ratio, fit the whole image, centre it and fill the rest with zero.</summary>
    Pad,

    /// <summary>Keep the aspect ratio, fill the whole target and cut off what sticks out, keeping the centre.</summary>
    CenterCrop,
}

/// <summary>
/// Resizes planar float images (any number of channels, each a row-major plane). Each axis is resampled
/// separately: area averaging when that axis shrinks (every source pixel contributes in proportion to how much
/// of it a target pixel covers), bilinear interpolation between pixel centres when it grows. Equal sizes give an
/// exact copy. Thread-safe; scratch buffers come from <see cref="ArrayPool{T}"/>.
/// </summary>
public static class Resampling
{
    /// <summary>Resizes <paramref name="source"/> of <paramref name="sourceShape"/> into <paramref name="destination"/> of <paramref name="targetShape"/>.</summary>
    /// <exception cref="ArgumentException">A size is not positive, the channel counts differ, or a span is too short.</exception>
    public static void Resize(ReadOnlySpan<float> source, ImageShape sourceShape, Span<float> destination, ImageShape targetShape, ResizeMode mode)
    {
        Check(sourceShape, nameof(sourceShape));
        Check(targetShape, nameof(targetShape));
        if (sourceShape.Channels != targetShape.Channels)
        {
            throw new ArgumentException($"channel counts differ: source {sourceShape}, target {targetShape}", nameof(targetShape));
        }

        if (source.Length < sourceShape.Length)
        {
            throw new ArgumentException($"source holds {source.Length} floats, a {sourceShape} image needs {sourceShape.Length}", nameof(source));
        }

        if (destination.Length < targetShape.Length)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, a {targetShape} image needs {targetShape.Length}", nameof(destination));
        }

        if (sourceShape == targetShape)
        {
            source[..sourceShape.Length].CopyTo(destination);
            return;
        }

        var layout = ComputeLayout(sourceShape.Width, sourceShape.Height, targetShape.Width, targetShape.Height, mode);
        if (layout.DestWidth != targetShape.Width || layout.DestHeight != targetShape.Height)
        {
            destination[..targetShape.Length].Clear();
        }

        ResampleRegion(source, sourceShape, destination, targetShape, layout);
    }

    /// <summary>
    /// Where the image lands for a given mode: the source window read (in source pixels, possibly fractional)
    /// and the target rectangle written. Exposed for callers that need the geometry (e.g. to map boxes).
    /// </summary>
    public static ResizeLayout ComputeLayout(int sourceWidth, int sourceHeight, int targetWidth, int targetHeight, ResizeMode mode)
    {
        switch (mode)
        {
            case ResizeMode.Stretch:
                return new ResizeLayout(0, 0, sourceWidth, sourceHeight, 0, 0, targetWidth, targetHeight);

            case ResizeMode.Pad:
                {
                    double scale = Math.Min((double)targetWidth / sourceWidth, (double)targetHeight / sourceHeight);
                    int w = Math.Clamp((int)Math.Round(sourceWidth * scale), 1, targetWidth);
                    int h = Math.Clamp((int)Math.Round(sourceHeight * scale), 1, targetHeight);
                    return new ResizeLayout(0, 0, sourceWidth, sourceHeight, (targetWidth - w) / 2, (targetHeight - h) / 2, w, h);
                }

            case ResizeMode.CenterCrop:
                {
                    double scale = Math.Max((double)targetWidth / sourceWidth, (double)targetHeight / sourceHeight);
                    double w = Math.Min(sourceWidth, targetWidth / scale);
                    double h = Math.Min(sourceHeight, targetHeight / scale);
                    return new ResizeLayout((sourceWidth - w) / 2, (sourceHeight - h) / 2, w, h, 0, 0, targetWidth, targetHeight);
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown resize mode");
        }
    }

    private static void Check(ImageShape shape, string name)
    {
        if (shape.Width <= 0 || shape.Height <= 0 || shape.Channels <= 0)
        {
            throw new ArgumentException($"image shape must be positive, got {shape}", name);
        }
    }

    private static void ResampleRegion(ReadOnlySpan<float> source, ImageShape src, Span<float> destination, ImageShape dst, ResizeLayout layout)
    {
        int dw = layout.DestWidth;
        int dh = layout.DestHeight;
        int xTaps = TapCount(layout.SourceWidth, dw);
        int yTaps = TapCount(layout.SourceHeight, dh);

        int[] xFirst = ArrayPool<int>.Shared.Rent(dw);
        float[] xWeights = ArrayPool<float>.Shared.Rent(dw * xTaps);
        int[] yFirst = ArrayPool<int>.Shared.Rent(dh);
        float[] yWeights = ArrayPool<float>.Shared.Rent(dh * yTaps);
        float[] rows = ArrayPool<float>.Shared.Rent(dw * src.Height);
        try
        {
            BuildWeights(src.Width, layout.SourceX, layout.SourceWidth, dw, xTaps, xFirst, xWeights);
            BuildWeights(src.Height, layout.SourceY, layout.SourceHeight, dh, yTaps, yFirst, yWeights);

            // Only the source rows some target row reads need the horizontal pass.
            int rowStart = yFirst[0];
            int rowEnd = Math.Min(src.Height, yFirst[dh - 1] + yTaps);

            for (int c = 0; c < src.Channels; c++)
            {
                ReadOnlySpan<float> plane = source.Slice(c * src.PlaneLength, src.PlaneLength);
                Span<float> outPlane = destination.Slice(c * dst.PlaneLength, dst.PlaneLength);

                for (int y = rowStart; y < rowEnd; y++)
                {
                    ReadOnlySpan<float> row = plane.Slice(y * src.Width, src.Width);
                    Span<float> tmpRow = rows.AsSpan(y * dw, dw);
                    for (int x = 0; x < dw; x++)
                    {
                        int first = xFirst[x];
                        ReadOnlySpan<float> w = xWeights.AsSpan(x * xTaps, xTaps);
                        float sum = 0;
                        for (int k = 0; k < xTaps && first + k < src.Width; k++)
                        {
                            sum += w[k] * row[first + k];
                        }

                        tmpRow[x] = sum;
                    }
                }

                for (int y = 0; y < dh; y++)
                {
                    int first = yFirst[y];
                    ReadOnlySpan<float> w = yWeights.AsSpan(y * yTaps, yTaps);
                    Span<float> outRow = outPlane.Slice(((layout.DestY + y) * dst.Width) + layout.DestX, dw);
                    outRow.Clear();
                    for (int k = 0; k < yTaps && first + k < src.Height; k++)
                    {
                        float wk = w[k];
                        if (wk == 0)
                        {
                            continue;
                        }

                        ReadOnlySpan<float> tmpRow = rows.AsSpan((first + k) * dw, dw);
                        for (int x = 0; x < dw; x++)
                        {
                            outRow[x] += wk * tmpRow[x];
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(xFirst);
            ArrayPool<float>.Shared.Return(xWeights);
            ArrayPool<int>.Shared.Return(yFirst);
            ArrayPool<float>.Shared.Return(yWeights);
            ArrayPool<float>.Shared.Return(rows);
        }
    }

    /// <summary>Most source pixels one target pixel reads along an axis.</summary>
    private static int TapCount(double windowLength, int targetLength)
    {
        double ratio = windowLength / targetLength;
        return ratio <= 1 ? 2 : (int)Math.Ceiling(ratio) + 1;
    }

    /// <summary>
    /// For each of <paramref name="count"/> target pixels along one axis: the first source pixel read and
    /// <paramref name="taps"/> weights (summing to 1) for it and its successors. The target covers the source
    /// window [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>).
    /// </summary>
    private static void BuildWeights(int sourceSize, double start, double length, int count, int taps, int[] first, float[] weights)
    {
        Array.Clear(weights, 0, count * taps);
        double step = length / count;
        for (int i = 0; i < count; i++)
        {
            Span<float> w = weights.AsSpan(i * taps, taps);
            if (step > 1)
            {
                // Area: the target pixel covers [lo, hi) of the source; weight = overlap with each source pixel.
                double lo = start + (i * step);
                double hi = lo + step;
                int f = Math.Clamp((int)Math.Floor(lo), 0, sourceSize - 1);
                first[i] = f;
                double total = 0;
                for (int k = 0; k < taps && f + k < sourceSize; k++)
                {
                    double overlap = Math.Min(hi, f + k + 1) - Math.Max(lo, f + k);
                    if (overlap > 0)
                    {
                        w[k] = (float)overlap;
                        total += overlap;
                    }
                }

                for (int k = 0; k < taps; k++)
                {
                    w[k] = (float)(w[k] / total);
                }
            }
            else
            {
                // Bilinear between the two source pixel centres around the target pixel's centre; edges clamp.
                double centre = start + ((i + 0.5) * step) - 0.5;
                centre = Math.Clamp(centre, 0, sourceSize - 1);
                int f = Math.Min((int)Math.Floor(centre), sourceSize - 1);
                double t = centre - f;
                first[i] = f;
                w[0] = (float)(1 - t);
                if (f + 1 < sourceSize)
                {
                    w[1] = (float)t;
                }
                else
                {
                    w[0] = 1;
                }
            }
        }
    }
}

/// <summary>
/// Geometry of one resize: the source window read (<see cref="SourceX"/>, <see cref="SourceY"/>,
/// <see cref="SourceWidth"/>, <see cref="SourceHeight"/>, in source pixels) lands on the target rectangle
/// (<see cref="DestX"/>, <see cref="DestY"/>, <see cref="DestWidth"/>, <see cref="DestHeight"/>); the rest of the target is zero.
/// </summary>
public readonly record struct ResizeLayout(double SourceX, double SourceY, double SourceWidth, double SourceHeight, int DestX, int DestY, int DestWidth, int DestHeight);
