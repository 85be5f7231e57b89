using System.Buffers;
using System.Runtime.CompilerServices;
using ImageWorkbench.FeatureExtractors;
using SkiaSharp;

namespace ImageWorkbench.Runtime.Decoding;

/// <summary>
/// Collects decoded 4-byte pixel rows (premultiplied, any order) of a w x h image into a planar float image of at most
/// <c>maxPixels</c>: each output pixel is the mean of a k x k block, k the smallest integer that fits (1 for
/// ordinary images: an exact copy). Then applies the EXIF orientation and resizes to the target. Only the reduced
/// image is ever held, so memory does not grow with the size a header claims. Buffers are rented and returned on dispose.
/// </summary>
internal sealed class BlockReducer : IDisposable
{
    private readonly int _width;
    private readonly int _height;
    private readonly int _channels;
    private readonly int _factor;
    private readonly SKEncodedOrigin _origin;
    private readonly int _redOffset;
    private readonly int _blueOffset;
    private readonly ImageShape _reduced;
    private float[]? _sums;
    private float[]? _shown;
    private double _colour;
    private double _brightness;
    private long _seen;

    public BlockReducer(int width, int height, int channels, long maxPixels, SKEncodedOrigin origin, int redOffset, int blueOffset)
    {
        _width = width;
        _height = height;
        _channels = channels;
        _origin = origin;
        _redOffset = redOffset;
        _blueOffset = blueOffset;
        int factor = 1;
        while ((long)Ceiling(width, factor) * Ceiling(height, factor) > maxPixels)
        {
            factor++;
        }

        _factor = factor;
        _reduced = new ImageShape(Ceiling(width, factor), Ceiling(height, factor), channels);
        _sums = ArrayPool<float>.Shared.Rent(_reduced.Length);
        _sums.AsSpan(0, _reduced.Length).Clear();
    }

    /// <summary>Adds stored row <paramref name="y"/> (<c>width * 4</c> bytes) to its block row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a per-image loop: optimised from its first call (see Hog.ComputeVotes)
    public void AddRow(ReadOnlySpan<byte> row, int y)
    {
        float[] sums = _sums!;
        float[] unit = ImageDecoder.ByteToUnit;
        int plane = _reduced.PlaneLength;
        int rowStart = y / _factor * _reduced.Width;
        int ri = _redOffset;
        int bi = _blueOffset;
        int factor = _factor;
        float colour = 0;
        float brightness = 0;
        for (int x = 0, bx = 0, left = factor; x < _width; x++)
        {
            int p = 4 * x;
            float r = unit[row[p + ri]];
            float g = unit[row[p + 1]];
            float b = unit[row[p + bi]];
            colour += MathF.Max(MathF.Max(r, g), b) - MathF.Min(MathF.Min(r, g), b);
            brightness += (0.299f * r) + (0.587f * g) + (0.114f * b);
            int i = rowStart + bx;
            if (_channels == 1)
            {
                sums[i] += r == g && g == b ? r : (0.299f * r) + (0.587f * g) + (0.114f * b);
            }
            else
            {
                sums[i] += r;
                sums[plane + i] += g;
                sums[(2 * plane) + i] += b;
            }

            if (--left == 0)
            {
                bx++;
                left = factor;
            }
        }

        _colour += colour;
        _brightness += brightness;
        _seen += _width;
    }

    /// <summary>What the rows added so far show of the image: its stored size, colourfulness and brightness.</summary>
    public ImageFacts Facts(int storedWidth, int storedHeight) =>
        new(storedWidth, storedHeight, _seen == 0 ? 0 : (float)(_colour / _seen), _seen == 0 ? 0 : (float)(_brightness / _seen));

    /// <summary>Turns the sums into means in the shown orientation and resizes them into <paramref name="destination"/>.</summary>
    public void Finish(Span<float> destination, ImageShape target, ResizeMode mode)
    {
        float[] sums = _sums!;
        int w = _reduced.Width;
        int h = _reduced.Height;
        bool swap = _origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var shownShape = new ImageShape(swap ? h : w, swap ? w : h, _channels);
        bool upright = _origin == SKEncodedOrigin.TopLeft;
        if (upright && _factor == 1)
        {
            Resampling.Resize(sums.AsSpan(0, _reduced.Length), shownShape, destination, target, mode);
            return;
        }

        float[] shown = upright ? sums : (_shown = ArrayPool<float>.Shared.Rent(_reduced.Length));
        int plane = _reduced.PlaneLength;
        for (int y = 0; y < h; y++)
        {
            int rows = Math.Min(_factor, _height - (y * _factor));
            for (int x = 0; x < w; x++)
            {
                float count = rows * Math.Min(_factor, _width - (x * _factor));
                (int sx, int sy) = upright ? (x, y) : Orient(_origin, x, y, w, h);
                int from = (y * w) + x;
                int to = (sy * shownShape.Width) + sx;
                for (int c = 0; c < _channels; c++)
                {
                    shown[(c * plane) + to] = sums[(c * plane) + from] / count;
                }
            }
        }

        Resampling.Resize(shown.AsSpan(0, _reduced.Length), shownShape, destination, target, mode);
    }

    public void Dispose()
    {
        if (_sums is not null)
        {
            ArrayPool<float>.Shared.Return(_sums);
            _sums = null;
        }

        if (_shown is not null)
        {
            ArrayPool<float>.Shared.Return(_shown);
            _shown = null;
        }
    }

    private static int Ceiling(int value, int divisor) => (int)(((long)value + divisor - 1) / divisor);

    /// <summary>Where stored pixel (x, y) of a w x h image is shown under an EXIF orientation (the codec decodes as stored).</summary>
    private static (int X, int Y) Orient(SKEncodedOrigin origin, int x, int y, int w, int h) => origin switch
    {
        SKEncodedOrigin.TopRight => (w - 1 - x, y),
        SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y),
        SKEncodedOrigin.BottomLeft => (x, h - 1 - y),
        SKEncodedOrigin.LeftTop => (y, x),
        SKEncodedOrigin.RightTop => (h - 1 - y, x),
        SKEncodedOrigin.RightBottom => (h - 1 - y, w - 1 - x),
        SKEncodedOrigin.LeftBottom => (y, w - 1 - x),
        _ => (x, y),
    };
}
