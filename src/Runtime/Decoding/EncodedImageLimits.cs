using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using SkiaSharp;

namespace ImageWorkbench.Runtime.Decoding;

/// <summary>
/// What an encoded image's own bytes allow, read from its header without decoding: which of the accepted formats it
/// is, how many pixels that many bytes could possibly encode, and how much memory the codec needs at once when it
/// cannot decode row by row. Each bound is the format's best case, so no real image is refused by it.
/// </summary>
internal static class EncodedImageLimits
{
    /// <summary>Deflate cannot compress better than about 1032:1 (a 258-byte match per 2-bit code at best, plus block overhead).</summary>
    private const long DeflateMaxRatio = 1032;

    /// <summary>Pixels any file may claim whatever its size: tiny but legal files (a 1x1 PNG, a flat 256x256 GIF) pass.</summary>
    private const long FreePixels = 1 << 16;

    /// <summary>
    /// The format from the leading bytes ("magic"), whatever the extension says; null for anything README does not
    /// list (SkiaSharp would also decode WBMP, ICO, HEIF, DNG and others: a 6-byte WBMP header can claim 100 megapixels).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per image: optimised from its first call; a short batch ran it unoptimised (tier 0) throughout
    public static SKEncodedImageFormat? Sniff(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return SKEncodedImageFormat.Jpeg;
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return SKEncodedImageFormat.Png;
        }

        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
        {
            return SKEncodedImageFormat.Gif;
        }

        if (data.StartsWith("BM"u8))
        {
            return SKEncodedImageFormat.Bmp;
        }

        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
        {
            return SKEncodedImageFormat.Webp;
        }

        return null;
    }

    /// <summary>
    /// Why <paramref name="data"/> cannot hold a <paramref name="width"/> x <paramref name="height"/> image of its
    /// format (the phrase after "header claims W x H pixels, "), or null when it could.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? WhyMorePixelsThanBytes(SKEncodedImageFormat format, ReadOnlySpan<byte> data, int width, int height)
    {
        long pixels = (long)width * height;
        if (format == SKEncodedImageFormat.Png)
        {
            long raw = PngRawBytes(data, width, height);
            long most = (DeflateMaxRatio * data.Length) + (FreePixels * 4);
            return raw > most ? $"{raw} bytes of pixel data, more than a {data.Length}-byte PNG can hold (deflate compresses at most {DeflateMaxRatio}:1)" : null;
        }

        // Best cases: JPEG one bit per 8x8 block (a progressive DC scan); GIF a 12-bit LZW code per 4,096 pixels;
        // BMP an RLE run of 255 pixels in 2 bytes (rounded up to 256 per byte); lossless WebP a colour cache and
        // back-references (8,192 per byte: it decodes into one buffer, which BufferedDecodeBytes bounds anyway).
        (long perByte, string how) = format switch
        {
            SKEncodedImageFormat.Jpeg => (512L, "one bit per 8x8 block"),
            SKEncodedImageFormat.Gif => (2730L, "LZW: 4,096 pixels per 12-bit code"),
            SKEncodedImageFormat.Bmp => (256L, "RLE: 255 pixels per 2 bytes"),
            _ => (8192L, "8,192 pixels per byte"),
        };
        return pixels > (perByte * data.Length) + FreePixels ? $"more than a {data.Length}-byte {Name(format)} can hold (at best {how})" : null;
    }

    /// <summary>
    /// Memory the codec needs at once when it cannot decode row by row (SkiaSharp decodes only JPEG and BMP by rows):
    /// the 4-byte-a-pixel output of a GIF (its whole logical screen), WebP or PNG, plus an interlaced PNG's own copy of
    /// every row, or a progressive or multi-scan JPEG's coefficients; 0 for a JPEG or BMP decoded by rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long BufferedDecodeBytes(SKEncodedImageFormat format, ReadOnlySpan<byte> data, int width, int height)
    {
        long pixels = (long)width * height;
        return format switch
        {
            SKEncodedImageFormat.Gif or SKEncodedImageFormat.Webp => pixels * 4,
            SKEncodedImageFormat.Png when data.Length > 28 && data[28] != 0 => (pixels * 4) + Math.Max(PngRawBytes(data, width, height), pixels * 4),
            SKEncodedImageFormat.Png => pixels * 4,
            // libjpeg keeps every DCT coefficient (2 bytes each) of every component for a multi-scan image.
            SKEncodedImageFormat.Jpeg => JpegCoefficientBytes(data),
            _ => 0,
        };
    }

    /// <summary>How README names the format.</summary>
    public static string Name(SKEncodedImageFormat format) => format switch
    {
        SKEncodedImageFormat.Jpeg => "JPEG",
        SKEncodedImageFormat.Png => "PNG",
        SKEncodedImageFormat.Gif => "GIF",
        SKEncodedImageFormat.Bmp => "BMP",
        SKEncodedImageFormat.Webp => "WebP",
        _ => format.ToString(),
    };

    /// <summary>Bytes of filtered scanlines a PNG of that size holds (one filter byte per row), from IHDR's depth and colour type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long PngRawBytes(ReadOnlySpan<byte> data, int width, int height)
    {
        int depth = data.Length > 24 ? data[24] : 8;
        int samples = data.Length > 25 ? data[25] switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 } : 4;
        long rowBits = (long)width * samples * Math.Max(depth, 1);
        return height * (1 + ((rowBits + 7) / 8));
    }

    /// <summary>
    /// Walks a JPEG's marker segments up to the end of its first scan's header and beyond: the coefficient memory
    /// libjpeg allocates when the image is progressive or has more than one scan, else 0 (decoded by rows).
    /// </summary>
    private static long JpegCoefficientBytes(ReadOnlySpan<byte> data)
    {
        int scans = 0;
        bool progressive = false;
        long coefficientBytes = 0;
        int i = 2;
        while (i + 4 <= data.Length)
        {
            if (data[i] != 0xFF)
            {
                // entropy-coded data: on to the next 0xFF (the only byte a marker starts with)
                int next = data[i..].IndexOf((byte)0xFF);
                if (next < 0)
                {
                    break;
                }

                i += next;
                continue;
            }

            byte marker = data[i + 1];
            if (marker is 0xFF or 0x00 || marker is >= 0xD0 and <= 0xD7)
            {
                i += marker == 0xFF ? 1 : 2; // fill byte, stuffed zero, restart marker
                continue;
            }

            if (marker == 0xD9)
            {
                break;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 2)..]);
            ReadOnlySpan<byte> segment = data.Slice(i + 4, Math.Max(0, Math.Min(length - 2, data.Length - i - 4)));
            if (marker is >= 0xC0 and <= 0xCF && marker is not (0xC4 or 0xC8 or 0xCC) && segment.Length >= 6)
            {
                progressive = marker is 0xC2 or 0xC6 or 0xCA or 0xCE;
                coefficientBytes = CoefficientBytes(segment);
            }
            else if (marker == 0xDA)
            {
                scans++;
            }

            i += 2 + length;
        }

        return progressive || scans > 1 ? Math.Max(coefficientBytes, 1) : 0;
    }

    /// <summary>From a SOF segment (after its length): 128 bytes per 8x8 block of every component at its sampling.</summary>
    private static long CoefficientBytes(ReadOnlySpan<byte> sof)
    {
        int height = BinaryPrimitives.ReadUInt16BigEndian(sof[1..]);
        int width = BinaryPrimitives.ReadUInt16BigEndian(sof[3..]);
        int components = sof[5];
        int maxH = 1;
        int maxV = 1;
        for (int c = 0; c < components && 6 + (3 * c) + 1 < sof.Length; c++)
        {
            maxH = Math.Max(maxH, sof[6 + (3 * c) + 1] >> 4);
            maxV = Math.Max(maxV, sof[6 + (3 * c) + 1] & 0x0F);
        }

        long total = 0;
        for (int c = 0; c < components && 6 + (3 * c) + 1 < sof.Length; c++)
        {
            int h = Math.Max(1, sof[6 + (3 * c) + 1] >> 4);
            int v = Math.Max(1, sof[6 + (3 * c) + 1] & 0x0F);
            long blocksX = (((long)width * h) + (8L * maxH) - 1) / (8L * maxH);
            long blocksY = (((long)height * v) + (8L * maxV) - 1) / (8L * maxV);
            total += blocksX * blocksY * 128;
        }

        return total;
    }
}
