using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ImageWorkbench.FeatureExtractors;
using SkiaSharp;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Runtime.Decoding;

/// <summary>
/// Turns an <see cref="ImageSource"/> into a planar float image (values 0..1, planes R, G, B or one grey plane)
/// of a requested <see cref="ImageShape"/>. Files and encoded bytes are decoded by SkiaSharp's <see cref="SKCodec"/>
/// (the decoder ML.NET's <c>MLImage</c> uses) after their header has been read and checked: only JPEG, PNG, BMP, GIF
/// and WebP are accepted, by their leading bytes whatever the file is called; zero or too large dimensions, and
/// dimensions the bytes present cannot hold, are refused before any pixel memory is allocated; a file whose end is
/// missing is refused rather than decoded half grey. Memory stays bounded whatever a header claims: large images are
/// decoded at reduced scale or row by row and averaged down as they arrive (see <see cref="MaxWorkingPixels"/>).
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
    internal static readonly float[] ByteToUnit = Enumerable.Range(0, 256).Select(i => i / 255f).ToArray();

    /// <summary>Default limits: 16,384 pixels a side, 100 megapixels, 256 MiB of encoded file.</summary>
    public static ImageDecoder Default { get; } = new();

    /// <summary>Longest side accepted, in pixels.</summary>
    public int MaxSide { get; init; } = 16_384;

    /// <summary>Most pixels accepted (width x height).</summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>Largest encoded file read into memory, in bytes.</summary>
    public long MaxFileBytes { get; init; } = 256L << 20;

    /// <summary>
    /// Most pixels held at once after decoding (2 megapixels: 24 MB of planar floats for RGB). A larger image is
    /// averaged over k x k blocks while its rows are decoded (k the smallest integer that fits), then resized as usual;
    /// the resize to a model input (224 or 28 pixels a side) averages far more than that anyway.
    /// </summary>
    public long MaxWorkingPixels { get; init; } = 1L << 21;

    /// <summary>
    /// Most memory a codec may need at once for an image it cannot decode row by row (PNG, GIF, WebP, progressive or
    /// multi-scan JPEG): 64 MiB, i.e. 16.7 megapixels of PNG, GIF or WebP (8 of interlaced PNG), about 22 of a
    /// progressive colour JPEG. Larger ones are refused before decoding: the working-set target is 300 MB per process
    /// for any input under 1 MB, and a 100-megapixel PNG of zeros fits in 100 KB.
    /// </summary>
    public long MaxBufferedDecodeBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Decodes a small PNG and a small JPEG made here a few times, to grey and to colour, so that the decode path
    /// (our code, SkiaSharp's wrappers) is compiled before the first real image. Meant to run on an idle core while
    /// a model loads (<see cref="Models.ImageClassifier.Load"/>): the first image of a batch took 40 ms, all of it JIT.
    /// </summary>
    internal static void WarmUp()
    {
        ImageShape[] targets = [new(28, 28, 1), new(32, 32, 3)];
        var destination = new float[32 * 32 * 3];
        using var bitmap = new SKBitmap(new SKImageInfo(16, 16, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(new SKColor(40, 120, 200));
        foreach (var format in new[] { SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg })
        {
            using var encoded = bitmap.Encode(format, 90);
            var bytes = encoded.ToArray();
            for (var i = 0; i < 8; i++)
            {
                Default.TryDecode(ImageSource.FromEncoded(bytes, "warm-up"), targets[i % 2], ResizeMode.Stretch, destination, out _, out _);
            }
        }
    }

    /// <summary>Decodes <paramref name="source"/> into <paramref name="destination"/> (at least <c>target.Length</c> floats).</summary>
    /// <exception cref="ImageDecodeException">The image cannot be read; the message names it and says why.</exception>
    public void Decode(ImageSource source, ImageShape target, ResizeMode mode, Span<float> destination) => Decode(source, target, mode, destination, out _);

    /// <summary>Like <see cref="Decode(ImageSource, ImageShape, ResizeMode, Span{float})"/>, and says what the image was before resizing (<see cref="ImageFacts"/>).</summary>
    public void Decode(ImageSource source, ImageShape target, ResizeMode mode, Span<float> destination, out ImageFacts facts)
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
                facts = DecodeRaw(source, target, mode, destination);
                break;
            case ImageSourceKind.Encoded:
                facts = DecodeEncodedMemory(source, target, mode, destination);
                break;
            case ImageSourceKind.File:
                facts = DecodeFile(source, target, mode, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(source), source.Kind, "unknown image source kind");
        }
    }

    /// <summary>Like <see cref="Decode(ImageSource, ImageShape, ResizeMode, Span{float})"/>, but returns false with the reason (one line naming the image) instead of throwing.</summary>
    public bool TryDecode(ImageSource source, ImageShape target, ResizeMode mode, Span<float> destination, out string? error) =>
        TryDecode(source, target, mode, destination, out _, out error);

    /// <summary>Like <see cref="TryDecode(ImageSource, ImageShape, ResizeMode, Span{float}, out string?)"/>, with the image's <see cref="ImageFacts"/> on success.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per image: optimised from its first call; a short batch ran it unoptimised (tier 0) throughout
    public bool TryDecode(ImageSource source, ImageShape target, ResizeMode mode, Span<float> destination, out ImageFacts facts, out string? error)
    {
        try
        {
            Decode(source, target, mode, destination, out facts);
            error = null;
            return true;
        }
        catch (ImageDecodeException e)
        {
            facts = default;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Leading bytes read before the rest of a file: more than <see cref="EncodedImageLimits.Sniff"/> needs (12, for WebP).</summary>
    private const int LeadBytes = 16;

    /// <summary>Files up to this size are read in one go, their leading bytes checked after: one read instead of two for any image of this workbench's sizes.</summary>
    private const int WholeReadBytes = 1 << 20;

    private static ImageDecodeException Fail(ImageSource source, string reason, Exception? inner = null) =>
        inner is null ? new ImageDecodeException($"{source.Name}: {reason}") : new ImageDecodeException($"{source.Name}: {reason}", inner);

    private static ImageFacts DecodeRaw(ImageSource source, ImageShape target, ResizeMode mode, Span<float> destination)
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
            double colour = 0;
            double brightness = 0;
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
                colour += MathF.Max(MathF.Max(r, g), b) - MathF.Min(MathF.Min(r, g), b);
                brightness += (0.299f * r) + (0.587f * g) + (0.114f * b);
            }

            Resampling.Resize(dst, shape, destination, target, mode);
            return new ImageFacts(w, h, (float)(colour / plane), (float)(brightness / plane));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(planar);
        }
    }

    internal static void Store(Span<float> dst, int plane, int i, float r, float g, float b, int channels, bool grey)
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

    private ImageFacts DecodeEncodedMemory(ImageSource source, ImageShape target, ResizeMode mode, Span<float> destination)
    {
        ReadOnlyMemory<byte> bytes = source.Bytes;
        if (MemoryMarshal.TryGetArray(bytes, out ArraySegment<byte> segment))
        {
            return DecodeEncoded(source, segment.Array!, segment.Offset, segment.Count, target, mode, destination);
        }

        byte[] copy = ArrayPool<byte>.Shared.Rent(bytes.Length);
        try
        {
            bytes.Span.CopyTo(copy);
            return DecodeEncoded(source, copy, 0, bytes.Length, target, mode, destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ImageFacts DecodeFile(ImageSource source, ImageShape target, ResizeMode mode, Span<float> destination)
    {
        string path = source.Path!;
        byte[]? buffer = null;
        int length;
        if (RegularFile.TryOpen(path, out var regular))
        {
            try
            {
                (buffer, length) = ReadRegular(source, ref regular);
            }
            finally
            {
                regular.Dispose();
            }

            try
            {
                return DecodeEncoded(source, buffer, 0, length, target, mode, destination);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        using (FileStream? file = FileChecks.OpenRegular(path, "an image file", out string? refusal))
        {
            if (file is null)
            {
                throw Fail(source, refusal ?? "cannot be opened");
            }

            try
            {
                long size = file.Length;
                if (size > MaxFileBytes)
                {
                    throw Fail(source, $"{FileChecks.TooLarge(size, MaxFileBytes)} for one image");
                }

                // The leading bytes first: a file that is no listed format is refused without reading (or renting room
                // for) the rest, which may be up to the whole image limit of junk (a sparse file costs no disk).
                Span<byte> lead = stackalloc byte[LeadBytes];
                int leadLength = file.ReadAtLeast(lead, lead.Length, throwOnEndOfStream: false);
                if (leadLength > 0 && EncodedImageLimits.Sniff(lead[..leadLength]) is null)
                {
                    throw NotSupported(source, size, lead[..leadLength]);
                }

                file.Position = 0;

                // The reported size only sizes the buffer: at most size + 1 bytes are read, so a file that grows while
                // being read is noticed and refused instead of read on without end.
                buffer = ArrayPool<byte>.Shared.Rent((int)size + 1);
                length = FileChecks.ReadBounded(file, buffer, (int)size);
                if (length < 0)
                {
                    throw Fail(source, $"file grew while being read (past its {size} bytes)");
                }
            }
            catch (Exception e)
            {
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                if (e is IOException or UnauthorizedAccessException)
                {
                    throw Fail(source, $"cannot read: {e.Message}", e);
                }

                throw;
            }
        }

        try
        {
            return DecodeEncoded(source, buffer, 0, length, target, mode, destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// A file <see cref="RegularFile"/> opened, read whole with the same checks as the stream path: the size limit, the
    /// leading bytes first for a file over <see cref="WholeReadBytes"/> (so junk is refused before it is read), at most
    /// size + 1 bytes (a file that grew is refused). Returns a rented buffer the caller returns.
    /// </summary>
    private (byte[] Buffer, int Length) ReadRegular(ImageSource source, ref RegularFile file)
    {
        long size = file.Size;
        if (size > MaxFileBytes)
        {
            throw Fail(source, $"{FileChecks.TooLarge(size, MaxFileBytes)} for one image");
        }

        byte[]? buffer = null;
        try
        {
            if (size > WholeReadBytes)
            {
                Span<byte> lead = stackalloc byte[LeadBytes];
                int leadLength = file.ReadAt(lead, 0);
                if (leadLength > 0 && EncodedImageLimits.Sniff(lead[..leadLength]) is null)
                {
                    throw NotSupported(source, size, lead[..leadLength]);
                }
            }

            buffer = ArrayPool<byte>.Shared.Rent((int)size + 1);
            int length = file.ReadWhole(buffer.AsSpan(0, (int)size + 1));
            if (length < 0)
            {
                throw Fail(source, $"file grew while being read (past its {size} bytes)");
            }

            return (buffer, length);
        }
        catch (Exception e)
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            if (e is IOException)
            {
                throw Fail(source, $"cannot read: {e.Message}", e);
            }

            throw;
        }
    }

    /// <summary>The refusal of a file whose leading bytes are no format README lists; <paramref name="lead"/> holds at least its first bytes.</summary>
    private static ImageDecodeException NotSupported(ImageSource source, long length, ReadOnlySpan<byte> lead) =>
        Fail(source, $"not a supported image (JPEG, PNG, BMP, GIF or WebP); {length} bytes starting {Convert.ToHexString(lead[..Math.Min(8, lead.Length)])}");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ImageFacts DecodeEncoded(ImageSource source, byte[] buffer, int offset, int length, ImageShape target, ResizeMode mode, Span<float> destination)
    {
        if (length == 0)
        {
            throw Fail(source, "empty file (0 bytes)");
        }

        if (length > MaxFileBytes)
        {
            throw Fail(source, $"{FileChecks.TooLarge(length, MaxFileBytes)} for one image"); // bytes handed over in memory, e.g. an upload
        }

        ReadOnlySpan<byte> data = buffer.AsSpan(offset, length);
        SKEncodedImageFormat? sniffed = EncodedImageLimits.Sniff(data);
        if (sniffed is not { } format)
        {
            throw NotSupported(source, length, data);
        }

        // SkiaSharp reads the bytes where they are (an SKData over the pinned buffer): through a .NET stream it called
        // back into managed code for every read and registered a stream object per image (17.1 -> 15.9 us a 28x28 PNG).
        var pinned = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            using var bytes = SKData.Create(pinned.AddrOfPinnedObject() + offset, length);
            using SKCodec? codec = SKCodec.Create(bytes);
            if (codec is null)
            {
                throw Fail(source, WhyNoCodec(buffer, offset, length, format));
            }

            if (codec.EncodedFormat != format)
            {
                throw Fail(source, $"not a supported image: it starts like a {EncodedImageLimits.Name(format)} file but decodes as {EncodedImageLimits.Name(codec.EncodedFormat)}");
            }

            CheckHeader(source, codec, format, data);
            return DecodeBounded(source, codec, format, target, mode, destination);
        }
        finally
        {
            pinned.Free();
        }
    }

    /// <summary>Why SkiaSharp found no codec for bytes that start like <paramref name="format"/>: asked again through a stream, which reports the reason.</summary>
    private static string WhyNoCodec(byte[] buffer, int offset, int length, SKEncodedImageFormat format)
    {
        using var stream = new MemoryStream(buffer, offset, length, writable: false);
        using SKCodec? codec = SKCodec.Create(stream, out SKCodecResult result);
        return result == SKCodecResult.IncompleteInput
            ? $"truncated: the image header is incomplete ({length} bytes)"
            : $"not a supported image: it starts like a {EncodedImageLimits.Name(format)} file but its header cannot be read ({result})";
    }

    /// <summary>Refuses bad sizes, sizes the bytes present cannot hold, and cut-off files, before any pixel memory exists.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CheckHeader(ImageSource source, SKCodec codec, SKEncodedImageFormat format, ReadOnlySpan<byte> data)
    {
        int width = codec.Info.Width;
        int height = codec.Info.Height;
        if (width <= 0 || height <= 0)
        {
            throw Fail(source, $"header claims a {width}x{height} image (zero size)");
        }

        if (width > MaxSide || height > MaxSide || (long)width * height > MaxPixels)
        {
            throw Fail(source, $"header claims {width}x{height} pixels, more than the limit of {MaxSide} a side and {MaxPixels / 1_000_000.0:0.#} megapixels; refused before decoding");
        }

        if (EncodedImageLimits.WhyMorePixelsThanBytes(format, data, width, height) is { } lying)
        {
            throw Fail(source, $"header claims {width}x{height} pixels, {lying}; refused before decoding");
        }

        if (EncodedImageLimits.BufferedDecodeBytes(format, data, width, height) is var buffered && buffered > MaxBufferedDecodeBytes)
        {
            throw Fail(source, $"header claims {width}x{height} pixels; a {EncodedImageLimits.Name(format)} of that size cannot be decoded row by row and would need {buffered >> 20} MiB at once, more than the {MaxBufferedDecodeBytes >> 20} MiB limit; refused before decoding");
        }

        string? cut = FindTruncation(format, data);
        if (cut is not null)
        {
            throw Fail(source, $"truncated: {cut}");
        }
    }

    /// <summary>
    /// Decodes with memory bounded whatever the header says: JPEG and WebP at a reduced scale when large (the codec
    /// scales while decoding), JPEG and BMP row by row, and every image larger than <see cref="MaxWorkingPixels"/>
    /// averaged over k x k blocks as its rows arrive. A JPEG or BMP is never held at full size, only a band of rows;
    /// PNG, GIF and WebP (SkiaSharp cannot decode them by rows) go through one buffer that CheckHeader has bounded by
    /// <see cref="MaxBufferedDecodeBytes"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ImageFacts DecodeBounded(ImageSource source, SKCodec codec, SKEncodedImageFormat format, ImageShape target, ResizeMode mode, Span<float> destination)
    {
        SKImageInfo stored = codec.Info;
        int decodeWidth = stored.Width;
        int decodeHeight = stored.Height;
        if (format is SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Webp && (long)decodeWidth * decodeHeight > MaxWorkingPixels)
        {
            SKSizeI scaled = codec.GetScaledDimensions((float)Math.Sqrt((double)MaxWorkingPixels / ((long)decodeWidth * decodeHeight)));
            if (scaled.Width > 0 && scaled.Height > 0 && (long)scaled.Width * scaled.Height < (long)decodeWidth * decodeHeight)
            {
                decodeWidth = scaled.Width;
                decodeHeight = scaled.Height;
            }
        }

        // Premultiplied (alpha composited on black), no colour-space conversion: as SKBitmap.Decode gives it.
        var info = new SKImageInfo(decodeWidth, decodeHeight, SKImageInfo.PlatformColorType, stored.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Premul);
        (int ri, int bi) = info.ColorType == SKColorType.Bgra8888 ? (2, 0) : (0, 2);
        using var reducer = new BlockReducer(decodeWidth, decodeHeight, target.Channels, MaxWorkingPixels, codec.EncodedOrigin, ri, bi);
        int rowBytes = info.RowBytes;
        bool byRows = format is SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Bmp && codec.StartScanlineDecode(info) == SKCodecResult.Success;
        if (byRows)
        {
            // Rows come in bands of about 1 MiB; bottom-up codecs (BMP) one row at a time, each placed by the codec's own mapping.
            int band = codec.ScanlineOrder == SKCodecScanlineOrder.TopDown ? Math.Clamp((1 << 20) / rowBytes, 1, decodeHeight) : 1;
            byte[] rows = ArrayPool<byte>.Shared.Rent(band * rowBytes);
            GCHandle pin = GCHandle.Alloc(rows, GCHandleType.Pinned);
            try
            {
                for (int input = 0; input < decodeHeight; input += band)
                {
                    int count = Math.Min(band, decodeHeight - input);
                    int got = codec.GetScanlines(pin.AddrOfPinnedObject(), count, rowBytes);
                    if (got < count)
                    {
                        throw Fail(source, $"truncated or corrupt: only {input + got} of {decodeHeight} rows could be decoded");
                    }

                    for (int r = 0; r < count; r++)
                    {
                        int y = band == 1 ? codec.GetOutputScanline(input) : input + r;
                        reducer.AddRow(rows.AsSpan(r * rowBytes, decodeWidth * 4), y);
                    }
                }
            }
            finally
            {
                pin.Free();
                ArrayPool<byte>.Shared.Return(rows);
            }
        }
        else
        {
            if (info.BytesSize64 > MaxBufferedDecodeBytes)
            {
                throw Fail(source, $"a {decodeWidth}x{decodeHeight} {EncodedImageLimits.Name(format)} that cannot be decoded row by row would need {info.BytesSize64 >> 20} MiB at once, more than the {MaxBufferedDecodeBytes >> 20} MiB limit");
            }

            byte[] pixels = ArrayPool<byte>.Shared.Rent((int)info.BytesSize64);
            try
            {
                SKCodecResult decoded = codec.GetPixels(info, pixels);
                if (decoded != SKCodecResult.Success)
                {
                    throw Fail(source, decoded == SKCodecResult.IncompleteInput
                        ? "truncated: the decoder ran out of data before the last pixel"
                        : $"cannot be decoded ({decoded})");
                }

                for (int y = 0; y < decodeHeight; y++)
                {
                    reducer.AddRow(pixels.AsSpan(y * rowBytes, decodeWidth * 4), y);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(pixels);
            }
        }

        reducer.Finish(destination, target, mode);
        return reducer.Facts(stored.Width, stored.Height);
    }

    /// <summary>
    /// The codec decodes a file whose end is missing and fills the rest grey; these checks on each format's end
    /// marker refuse such files instead. Null when the end looks complete.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
}
