using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FeatureExtractors;
using Microsoft.ML.Data;
using SkiaSharp;

namespace Pipeline.Data;

/// <summary>
/// Turns an <see cref="ImageSource"/> into a planar float image (values 0..1, planes R, G, B or one grey plane)
/// of a requested <see cref="ImageShape"/>. Files and encoded bytes are decoded by ML.NET's <see cref="MLImage"/>
/// (SkiaSharp inside) after their header has been read and checked: zero or too large dimensions are refused before
/// any pixel memory is allocated, and a file whose end is missing is refused rather than decoded half grey.
/// A JPEG's EXIF orientation is applied (the image is used as shown, not as stored).
/// Raw 8-bit pixels (IDX) are converted without a codec. Then <see cref="Resampling"/> fits the image to the target.
/// <para>Colour handling: grey is replicated into R, G and B for a 3-channel target; colour becomes luminance
/// 0.299 R + 0.587 G + 0.114 B for a 1-channel target; alpha is dropped after compositing on black (the codec
/// decodes to premultiplied alpha, so a half-transparent white pixel reads as 0.5 grey).</para>
/// <para>Immutable and thread-safe; scratch buffers are rented from <see cref="ArrayPool{T}"/>.</para>
/// </summary>
public sealed class ImageDecoder
{
    /// <summary>Byte value / 255, exactly as a division would give it (a multiplication by 1/255 is off in the last bit).</summary>
    private static readonly float[] ByteToUnit = Enumerable.Range(0, 256).Select(i => i / 255f).ToArray();

    /// <summary>Default limits: 16,384 pixels a side, 100 megapixels, 256 MiB of encoded file.</summary>
    public static ImageDecoder Default { get; } = new();

    /// <summary>Longest side accepted, in pixels.</summary>
    public int MaxSide { get; init; } = 16_384;

    /// <summary>Most pixels accepted (width x height).</summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>Largest encoded file read into memory, in bytes.</summary>
    public long MaxFileBytes { get; init; } = 256L << 20;

    /// <summary>Decodes <paramref name="source"/> into <paramref name="destination"/> (at least <c>target.Length</c> floats).</summary>
    /// <exception cref="ImageDecodeException">The image cannot be read; the message names it and says why.</exception>
    public void Decode(ImageSource source, ImageShape target, ResizeMode mode, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        target.Validate();
        if (destination.Length < target.Length)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, a {target} image needs {target.Length}", nameof(destination));
        }

        switch (source.Kind)
        {
            case ImageSourceKind.RawPixels:
                DecodeRaw(source, target, mode, destination);
                break;
            case ImageSourceKind.Encoded:
                DecodeEncodedMemory(source, target, mode, destination);
                break;
            case ImageSourceKind.File:
                DecodeFile(source, target, mode, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(source), source.Kind, "unknown image source kind");
        }
    }

    /// <summary>Like <see cref="Decode"/>, but returns false with the reason (one line naming the image) instead of throwing.</summary>
    public bool TryDecode(ImageSource source, ImageShape target, ResizeMode mode, Span<float> destination, out string? error)
    {
        try
        {
            Decode(source, target, mode, destination);
            error = null;
            return true;
        }
        catch (ImageDecodeException e)
        {
            error = e.Message;
            return false;
        }
    }

    private static ImageDecodeException Fail(ImageSource source, string reason, Exception? inner = null) =>
        inner is null ? new ImageDecodeException($"{source.Name}: {reason}") : new ImageDecodeException($"{source.Name}: {reason}", inner);

    private static void DecodeRaw(ImageSource source, ImageShape target, ResizeMode mode, Span<float> destination)
    {
        int w = source.RawWidth;
        int h = source.RawHeight;
        int channels = source.RawChannels;
        ReadOnlySpan<byte> pixels = source.Bytes.Span;
        var shape = new ImageShape(w, h, target.Channels);
        float[] planar = ArrayPool<float>.Shared.Rent(shape.Length);
        try
        {
            Span<float> dst = planar.AsSpan(0, shape.Length);
            int plane = w * h;
            float[] unit = ByteToUnit;
            for (int i = 0; i < plane; i++)
            {
                float r, g, b;
                switch (channels)
                {
                    case 1:
                        r = g = b = unit[pixels[i]];
                        break;
                    case 3:
                        r = unit[pixels[3 * i]];
                        g = unit[pixels[(3 * i) + 1]];
                        b = unit[pixels[(3 * i) + 2]];
                        break;
                    default:
                        float a = unit[pixels[(4 * i) + 3]];
                        r = unit[pixels[4 * i]] * a;
                        g = unit[pixels[(4 * i) + 1]] * a;
                        b = unit[pixels[(4 * i) + 2]] * a;
                        break;
                }

                Store(dst, plane, i, r, g, b, target.Channels, channels == 1);
            }

            Resampling.Resize(dst, shape, destination, target, mode);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(planar);
        }
    }

    private static void Store(Span<float> dst, int plane, int i, float r, float g, float b, int channels, bool grey)
    {
        if (channels == 1)
        {
            dst[i] = grey || (r == g && g == b) ? r : (0.299f * r) + (0.587f * g) + (0.114f * b);
        }
        else
        {
            dst[i] = r;
            dst[plane + i] = g;
            dst[(2 * plane) + i] = b;
        }
    }

    private void DecodeEncodedMemory(ImageSource source, ImageShape target, ResizeMode mode, Span<float> destination)
    {
        ReadOnlyMemory<byte> bytes = source.Bytes;
        if (MemoryMarshal.TryGetArray(bytes, out ArraySegment<byte> segment))
        {
            DecodeEncoded(source, segment.Array!, segment.Offset, segment.Count, target, mode, destination);
            return;
        }

        byte[] copy = ArrayPool<byte>.Shared.Rent(bytes.Length);
        try
        {
            bytes.Span.CopyTo(copy);
            DecodeEncoded(source, copy, 0, bytes.Length, target, mode, destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    private void DecodeFile(ImageSource source, ImageShape target, ResizeMode mode, Span<float> destination)
    {
        string path = source.Path!;
        byte[]? buffer = null;
        int length;
        try
        {
            if (FileChecks.WhyNotAFile(path, "an image file") is { } notAFile)
            {
                throw Fail(source, notAFile);
            }

            if (FileChecks.IsEmpty(path))
            {
                throw Fail(source, "empty file (0 bytes)");
            }

            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            long size = file.Length;
            if (size > MaxFileBytes)
            {
                throw Fail(source, $"file is {size} bytes, more than the {MaxFileBytes}-byte limit for one image");
            }

            buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(size, 1));
            length = file.ReadAtLeast(buffer.AsSpan(0, (int)size), (int)size, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            throw Fail(source, e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : $"cannot read: {e.Message}", e);
        }

        try
        {
            DecodeEncoded(source, buffer, 0, length, target, mode, destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void DecodeEncoded(ImageSource source, byte[] buffer, int offset, int length, ImageShape target, ResizeMode mode, Span<float> destination)
    {
        if (length == 0)
        {
            throw Fail(source, "empty file (0 bytes)");
        }

        SKEncodedOrigin origin = CheckHeader(source, buffer, offset, length);

        MLImage image;
        try
        {
            using var stream = new MemoryStream(buffer, offset, length, writable: false);
            image = MLImage.CreateFromStream(stream);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            throw Fail(source, $"cannot be decoded ({e.Message.TrimEnd('.')})", e);
        }

        using (image)
        {
            ConvertDecoded(source, image, origin, target, mode, destination);
        }
    }

    /// <summary>Reads only the header: format, width, height, EXIF orientation; refuses unknown formats, bad sizes and cut-off files.</summary>
    private SKEncodedOrigin CheckHeader(ImageSource source, byte[] buffer, int offset, int length)
    {
        SKEncodedImageFormat format;
        SKEncodedOrigin origin;
        int width, height;
        using (var stream = new MemoryStream(buffer, offset, length, writable: false))
        using (SKCodec? codec = SKCodec.Create(stream, out SKCodecResult result))
        {
            if (codec is null)
            {
                throw Fail(source, result == SKCodecResult.IncompleteInput
                    ? $"truncated: the image header is incomplete ({length} bytes)"
                    : $"not a supported image (JPEG, PNG, BMP, GIF or WebP); {length} bytes starting {Convert.ToHexString(buffer, offset, Math.Min(8, length))}");
            }

            format = codec.EncodedFormat;
            origin = codec.EncodedOrigin;
            width = codec.Info.Width;
            height = codec.Info.Height;
        }

        if (width <= 0 || height <= 0)
        {
            throw Fail(source, $"header claims a {width}x{height} image (zero size)");
        }

        if (width > MaxSide || height > MaxSide || (long)width * height > MaxPixels)
        {
            throw Fail(source, $"header claims {width}x{height} pixels, more than the limit of {MaxSide} a side and {MaxPixels / 1_000_000.0:0.#} megapixels; refused before decoding");
        }

        string? cut = FindTruncation(format, buffer.AsSpan(offset, length));
        if (cut is not null)
        {
            throw Fail(source, $"truncated: {cut}");
        }

        return origin;
    }

    /// <summary>
    /// The codec decodes a file whose end is missing and fills the rest grey; these checks on each format's end
    /// marker refuse such files instead. Null when the end looks complete.
    /// </summary>
    internal static string? FindTruncation(SKEncodedImageFormat format, ReadOnlySpan<byte> data)
    {
        switch (format)
        {
            case SKEncodedImageFormat.Png:
                {
                    ReadOnlySpan<byte> tail = data[Math.Max(0, data.Length - 4096)..];
                    return tail.IndexOf("IEND"u8) >= 0 ? null : $"PNG has no IEND chunk ({data.Length} bytes)";
                }

            case SKEncodedImageFormat.Jpeg:
                {
                    // Entropy-coded data cannot hold 0xFF 0xD9 (EOI) or 0xFF 0xDA (SOS); the last EOI must follow the last scan.
                    int lastScan = data.LastIndexOf([(byte)0xFF, (byte)0xDA]);
                    int lastEnd = data.LastIndexOf([(byte)0xFF, (byte)0xD9]);
                    return lastEnd > lastScan ? null : $"JPEG has no end-of-image marker after its last scan ({data.Length} bytes)";
                }

            case SKEncodedImageFormat.Gif:
                {
                    ReadOnlySpan<byte> tail = data[Math.Max(0, data.Length - 16)..];
                    return tail.Contains((byte)0x3B) ? null : $"GIF has no trailer ({data.Length} bytes)";
                }

            case SKEncodedImageFormat.Bmp:
                {
                    uint declared = data.Length >= 6 ? BinaryPrimitives.ReadUInt32LittleEndian(data[2..]) : 0;
                    return declared > data.Length ? $"BMP header declares {declared} bytes, the file has {data.Length}" : null;
                }

            case SKEncodedImageFormat.Webp:
                {
                    uint declared = data.Length >= 8 ? BinaryPrimitives.ReadUInt32LittleEndian(data[4..]) : 0;
                    return declared + 8L > data.Length ? $"WebP header declares {declared + 8L} bytes, the file has {data.Length}" : null;
                }

            default:
                return null;
        }
    }

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

    private static void ConvertDecoded(ImageSource source, MLImage image, SKEncodedOrigin origin, ImageShape target, ResizeMode mode, Span<float> destination)
    {
        int w = image.Width;
        int h = image.Height;
        ReadOnlySpan<byte> pixels = image.Pixels;
        if (w <= 0 || h <= 0 || pixels.Length < w * h * 4)
        {
            throw Fail(source, $"decoder returned {pixels.Length} bytes for a {w}x{h} image");
        }

        // Byte offsets of R, G, B inside a 4-byte pixel; alpha is premultiplied, i.e. already composited on black.
        (int ri, int bi) = image.PixelFormat switch
        {
            MLPixelFormat.Bgra32 => (2, 0),
            MLPixelFormat.Rgba32 => (0, 2),
            _ => throw Fail(source, $"decoder returned unsupported pixel format {image.PixelFormat}"),
        };

        int rowBytes = pixels.Length / h;
        bool upright = origin == SKEncodedOrigin.TopLeft;
        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int shownWidth = swap ? h : w;
        var shape = new ImageShape(shownWidth, swap ? w : h, target.Channels);
        float[] planar = ArrayPool<float>.Shared.Rent(shape.Length);
        try
        {
            Span<float> dst = planar.AsSpan(0, shape.Length);
            int plane = w * h;
            float[] unit = ByteToUnit;
            for (int y = 0; y < h; y++)
            {
                ReadOnlySpan<byte> row = pixels.Slice(y * rowBytes, w * 4);
                for (int x = 0; x < w; x++)
                {
                    int p = 4 * x;
                    (int sx, int sy) = upright ? (x, y) : Orient(origin, x, y, w, h);
                    Store(dst, plane, (sy * shownWidth) + sx, unit[row[p + ri]], unit[row[p + 1]], unit[row[p + bi]], target.Channels, grey: false);
                }
            }

            Resampling.Resize(dst, shape, destination, target, mode);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(planar);
        }
    }
}
