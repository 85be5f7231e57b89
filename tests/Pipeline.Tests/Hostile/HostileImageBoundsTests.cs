using System.Buffers.Binary;
using System.IO.Compression;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Training;
using SkiaSharp;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>
/// Images and IDX files whose headers promise more than their bytes hold, formats README does not list, and paths that
/// are not regular files: each is refused with one line naming it, before memory is allocated or a read can block.
/// </summary>
[Collection("Console")]
public sealed class HostileImageBoundsTests : IDisposable
{
    private static readonly Lazy<string> Model = new(TrainModel);
    private readonly string _root = Directory.CreateTempSubdirectory("hostile-bounds-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_root, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A small hand-crafted model, trained once for every test here that predicts.</summary>
    private static string TrainModel()
    {
        string root = Directory.CreateTempSubdirectory("hostile-bounds-model-").FullName;
        for (int i = 0; i < 6; i++)
        {
            Directory.CreateDirectory(Path.Combine(root, "data", "a"));
            Directory.CreateDirectory(Path.Combine(root, "data", "b"));
            File.WriteAllBytes(Path.Combine(root, "data", "a", $"{i}.png"), HostileFiles.Picture(24, 24, 0, i));
            File.WriteAllBytes(Path.Combine(root, "data", "b", $"{i}.png"), HostileFiles.Picture(24, 24, 1, 50 + i));
        }

        string model = Path.Combine(root, "model.zip");
        var train = Cli.Run("train", "--pipeline", "handcrafted", "--data", Path.Combine(root, "data"), "--out", model);
        Assert.True(train.ExitCode == 0, train.ToString());
        return model;
    }

    private static void AssertPredictRefuses(string path, string reason)
    {
        var result = Cli.Run("predict", "--model", Model.Value, path);
        result.AssertOneErrorNaming(path);
        Assert.True(result.Errors[0].Contains(reason, StringComparison.Ordinal), $"expected '{reason}'\n{result}");
    }

    // ------------------------------------------------------------ formats

    /// <summary>A 6-byte WBMP header claims 10000x10000 (SkiaSharp decodes WBMP, README does not list it): 1.7 GB on main.</summary>
    [Fact]
    public void Formats_readme_does_not_list_are_refused_by_their_leading_bytes_whatever_the_name()
    {
        AssertPredictRefuses(Write("w.png", [0x00, 0x00, 0xCE, 0x10, 0xCE, 0x10]), "not a supported image");

        // An ICO holding a PNG: SkiaSharp decodes it, README does not list it.
        byte[] png = HostileFiles.Picture(16, 16, 0, 1);
        byte[] ico = new byte[22 + png.Length];
        ico[2] = 1; // type: icon
        ico[4] = 1; // one image
        ico[6] = 16;
        ico[7] = 16;
        ico[10] = 1; // planes
        ico[12] = 32; // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(ico.AsSpan(14), png.Length);
        BinaryPrimitives.WriteInt32LittleEndian(ico.AsSpan(18), 22);
        png.CopyTo(ico, 22);
        AssertPredictRefuses(Write("icon.jpg", ico), "not a supported image");

        // The leading bytes decide, not the name: a PNG called .jpg is used.
        var renamed = Cli.Run("predict", "--model", Model.Value, Write("really-a-png.jpg", png));
        Assert.True(renamed.ExitCode == 0, renamed.ToString());
    }

    // ------------------------------------------------------------ headers against bytes

    [Fact]
    public void Headers_promising_more_pixels_than_the_file_can_hold_are_refused_before_decoding()
    {
        // BMP: 54 bytes of header claiming 10000x10000 32-bit pixels, none present.
        byte[] bmp = BmpHeader(10_000, 10_000, bitsPerPixel: 32, compression: 0, fileSize: 54, paletteEntries: 0);
        AssertPredictRefuses(Write("no-pixels.bmp", bmp), "refused before decoding");

        // BMP RLE8 claiming 16000x6000, holding only its end-of-bitmap code.
        byte[] rle = [.. BmpHeader(16_000, 6_000, bitsPerPixel: 8, compression: 1, fileSize: 54 + 1024 + 2, paletteEntries: 256), .. new byte[1024], 0x00, 0x01];
        AssertPredictRefuses(Write("rle.bmp", rle), "refused before decoding");

        // GIF: a 10000x10000 logical screen holding one 1x1 frame (35 bytes).
        byte[] gif =
        [
            .. "GIF89a"u8, 0x10, 0x27, 0x10, 0x27, 0xF0, 0, 0, 0, 0, 0, 255, 255, 255,
            0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
        ];
        AssertPredictRefuses(Write("screen.gif", gif), "refused before decoding");
    }

    /// <summary>
    /// PNG, GIF and WebP cannot be decoded by rows in SkiaSharp, so their size is bounded by the memory one buffer may
    /// take; a progressive JPEG's coefficients likewise. 12 KB of PNG claimed 100 megapixels (0.9 GB on main).
    /// </summary>
    [Fact]
    public void Images_that_would_need_too_much_memory_at_once_are_refused_before_decoding()
    {
        byte[] zeros = new byte[1250];
        AssertPredictRefuses(Write("100-megapixels.png", HostileFiles.Png(10_000, 10_000, 1, 0, _ => zeros)), "refused before decoding");
        AssertPredictRefuses(Write("progressive.jpg", FlatGreyJpeg(16_000, 6_000, progressive: true)), "refused before decoding");

        var decoder = new ImageDecoder { MaxBufferedDecodeBytes = 1 << 20 };
        byte[] webp = Encode(1000, 1000, SKEncodedImageFormat.Webp);
        Assert.False(decoder.TryDecode(ImageSource.FromEncoded(webp, "big.webp"), new ImageShape(8, 8, 1), ResizeMode.Stretch, new float[64], out string? error));
        Assert.Contains("big.webp: header claims 1000x1000 pixels; a WebP of that size", error, StringComparison.Ordinal);
    }

    /// <summary>A 96-megapixel baseline JPEG (375 KB) is decoded by rows at 1/8 scale: main held 1.5 GB of it.</summary>
    [Fact]
    public void A_huge_baseline_jpeg_is_decoded_at_reduced_scale_with_bounded_memory()
    {
        byte[] jpeg = FlatGreyJpeg(16_000, 6_000, progressive: false);
        var shape = new ImageShape(28, 28, 1);
        float[] pixels = new float[shape.Length];
        long before = GC.GetAllocatedBytesForCurrentThread();
        ImageDecoder.Default.Decode(ImageSource.FromEncoded(jpeg, "huge.jpg"), shape, ResizeMode.Stretch, pixels);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64L << 20, $"allocated {allocated >> 20} MiB");
        Assert.All(pixels, p => Assert.InRange(p, 0.49f, 0.52f)); // DC 0 everywhere: level 128
    }

    /// <summary>Images over the working size are averaged over k x k blocks while decoded; the result matches the picture.</summary>
    [Fact]
    public void Large_images_are_averaged_down_and_keep_their_orientation()
    {
        // 3000x1000 PNG (3 megapixels: reduced by 2): left half black, right half white.
        byte[] row = [.. Enumerable.Repeat((byte)0, 1500), .. Enumerable.Repeat((byte)255, 1500)];
        byte[] png = HostileFiles.Png(3000, 1000, 8, 0, _ => row);
        var shape = new ImageShape(6, 2, 1);
        float[] pixels = new float[shape.Length];
        ImageDecoder.Default.Decode(ImageSource.FromEncoded(png, "wide.png"), shape, ResizeMode.Stretch, pixels);
        Assert.Equal([0f, 0f, 0f, 1f, 1f, 1f, 0f, 0f, 0f, 1f, 1f, 1f], pixels.Select(p => MathF.Round(p, 3)));

        // The same at an odd size (blocks at the edge hold fewer pixels) and as a JPEG rotated by EXIF (decoded scaled).
        byte[] odd = HostileFiles.Png(3001, 999, 8, 0, _ => [.. row, 255]);
        ImageDecoder.Default.Decode(ImageSource.FromEncoded(odd, "odd.png"), shape, ResizeMode.Stretch, pixels);
        Assert.All(pixels[..3], p => Assert.InRange(p, 0f, 0.01f));
        Assert.All(pixels[3..6], p => Assert.InRange(p, 0.99f, 1.001f));

        using var bitmap = new SKBitmap(new SKImageInfo(2400, 1000, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            canvas.DrawRect(0, 0, 1200, 1000, new SKPaint { Color = SKColors.Black });
        }

        using var encoded = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Jpeg, 90);
        byte[] rotated = HostileFiles.WithExifOrientation(encoded.ToArray(), 6);
        var square = new ImageShape(8, 8, 1);
        float[] shown = new float[square.Length];
        ImageDecoder.Default.Decode(ImageSource.FromEncoded(rotated, "rotated.jpg"), square, ResizeMode.Stretch, shown);
        Assert.True(shown[..32].Average() < 0.05 && shown[32..].Average() > 0.95, "EXIF orientation 6 not applied to a scaled decode");
    }

    /// <summary>A GIF cut inside its frame data but ending in a trailer byte (0x3B) was decoded half grey on main.</summary>
    [Fact]
    public void A_gif_cut_inside_its_frame_is_refused_even_when_it_ends_in_a_trailer()
    {
        byte[] gif = HostileFiles.AnimatedGif(64, 64);
        byte[] cut = [.. gif.AsSpan(0, gif.Length / 4), 0x00, 0x3B];
        AssertPredictRefuses(Write("cut.gif", cut), "truncated");
    }

    // ------------------------------------------------------------ paths that are not regular files

    /// <summary>On main the CNN cache key read each file whole before any check: a named pipe hung the run, /dev/zero ran out of memory.</summary>
    [Fact]
    public async Task The_cnn_cache_key_refuses_pipes_devices_and_huge_files_without_reading_them()
    {
        string fifo = Path.Combine(_root, "pipe.png");
        HostileFiles.MakeFifo(fifo);
        string sparse = Path.Combine(_root, "sparse.png");
        using (var file = File.Create(sparse))
        {
            file.Write(HostileFiles.Picture(8, 8, 0, 1));
            file.SetLength(300L << 20); // over the 256 MiB image limit, no disk used
        }

        foreach (string path in new[] { fifo, "/dev/zero", sparse, "/proc/self/status" })
        {
            var key = Task.Run(() => CnnTraining.ContentHash(ImageSource.FromFile(path)));
            Assert.True(await Task.WhenAny(key, Task.Delay(TimeSpan.FromSeconds(20))) == key, $"{path}: the cache key read did not return");
            Assert.Null(await key);
        }

        byte[] good = HostileFiles.Picture(8, 8, 0, 2);
        Assert.Equal(FeatureCache.HashContent(good), CnnTraining.ContentHash(ImageSource.FromFile(Write("good.png", good))));
    }

    [Fact]
    public async Task Paths_that_are_not_regular_files_are_named_for_what_they_are()
    {
        string fifo = Path.Combine(_root, "pipe.png");
        HostileFiles.MakeFifo(fifo);
        var decode = Task.Run(() => Refusal(fifo));
        Assert.True(await Task.WhenAny(decode, Task.Delay(TimeSpan.FromSeconds(20))) == decode, "decoding a named pipe did not return");
        Assert.Equal($"{fifo}: is a named pipe or socket, not an image file", await decode);
        Assert.Equal("/dev/zero: is a device or a special file (size 0, yet it gives data), not an image file", Refusal("/dev/zero"));
        Assert.Equal("/proc/self/status: is a device or a special file (size 0, yet it gives data), not an image file", Refusal("/proc/self/status"));
        string loop = Path.Combine(_root, "loop.png");
        File.CreateSymbolicLink(loop, loop);
        Assert.Equal($"{loop}: a symbolic link loop (it points at itself)", Refusal(loop));
        Assert.Equal($"{Write("empty.png", [])}: empty file (0 bytes)", Refusal(Path.Combine(_root, "empty.png")));

        // A link is judged by what it opens to, on the opened handle: a swap after any earlier check changes nothing.
        string toDevice = Path.Combine(_root, "photo.jpg");
        File.CreateSymbolicLink(toDevice, "/dev/zero");
        Assert.Equal($"{toDevice}: is a device or a special file (size 0, yet it gives data), not an image file", Refusal(toDevice));

        // Through the CLI too: one error line naming it, exit 1.
        AssertPredictRefuses(fifo, "named pipe");
    }

    private static string? Refusal(string path)
    {
        Assert.False(ImageDecoder.Default.TryDecode(ImageSource.FromFile(path), new ImageShape(8, 8, 1), ResizeMode.Stretch, new float[64], out string? error));
        return error;
    }

    // ------------------------------------------------------------ IDX

    /// <summary>A 60,000-image IDX .gz of about 100 KB inflates to 96 MB: a gzip bomb, refused before inflating (main loaded it).</summary>
    [Fact]
    public void An_idx_gzip_bomb_is_refused_before_inflating()
    {
        string data = Directory.CreateDirectory(Path.Combine(_root, "bomb")).FullName;
        string images = Path.Combine(data, "train-images-idx3-ubyte.gz");
        using (var gz = new GZipStream(File.Create(images), CompressionLevel.SmallestSize))
        {
            gz.Write(IdxHeader(60_000, 40, 40));
            byte[] zeros = new byte[1 << 20];
            for (long left = 60_000L * 40 * 40; left > 0; left -= zeros.Length)
            {
                gz.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
            }
        }

        IdxWriter.WriteLabels(Path.Combine(data, "train-labels-idx1-ubyte.gz"), Enumerable.Range(0, 60_000).Select(i => (byte)(i % 2)).ToArray());
        var result = Cli.Run("dataset", "info", "--data", data);
        result.AssertOneErrorNaming(images);
        Assert.Contains("gzip bomb", result.Errors[0], StringComparison.Ordinal);
    }

    /// <summary>A header promising 47 MB over 48 KB of data: main allocated the 47 MB before finding out.</summary>
    [Fact]
    public void An_idx_header_that_lies_allocates_only_what_the_data_holds()
    {
        byte[] noise = new byte[48 << 10];
        new Random(3).NextBytes(noise);
        string images = Path.Combine(_root, "train-images-idx3-ubyte.gz");
        using (var gz = new GZipStream(File.Create(images), CompressionLevel.Fastest))
        {
            gz.Write(IdxHeader(60_000, 28, 28));
            gz.Write(noise);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DatasetException>(() => IdxReader.ReadImages(images));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith($"{images}: truncated", e.Message, StringComparison.Ordinal);
        Assert.True(allocated < 8L << 20, $"allocated {allocated >> 20} MiB");

        // With its labels file known, a count that differs is refused before any data is read.
        before = GC.GetAllocatedBytesForCurrentThread();
        e = Assert.Throws<DatasetException>(() => IdxReader.ReadImages(images, ("train-labels-idx1-ubyte.gz", 10)));
        Assert.Equal("train-labels-idx1-ubyte.gz: has 10 labels but train-images-idx3-ubyte.gz has 60000 images", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1L << 20);
    }

    // ------------------------------------------------------------ builders

    private static byte[] IdxHeader(int count, int rows, int columns)
    {
        byte[] header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), columns);
        return header;
    }

    private static byte[] BmpHeader(int width, int height, short bitsPerPixel, int compression, int fileSize, int paletteEntries)
    {
        byte[] header = new byte[54];
        header[0] = (byte)'B';
        header[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(2), fileSize);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(10), 54 + (4 * paletteEntries));
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(28), bitsPerPixel);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(30), compression);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(46), paletteEntries);
        return header;
    }

    private static byte[] Encode(int width, int height, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(SKColors.Gray);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 50);
        return data.ToArray();
    }

    /// <summary>
    /// A one-component JPEG of flat mid-grey 8x8 blocks with one-bit Huffman codes: a baseline image costs 2 bits a
    /// block (DC category 0, end of block), a progressive one (a DC scan only) 1 bit. 16000x6000 is 375 or 188 KB.
    /// </summary>
    private static byte[] FlatGreyJpeg(int width, int height, bool progressive)
    {
        using var ms = new MemoryStream();
        void Segment(byte marker, byte[] payload)
        {
            ms.Write([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
            ms.Write(payload);
        }

        ms.Write([0xFF, 0xD8]);
        Segment(0xDB, [0x00, .. Enumerable.Repeat((byte)1, 64)]);
        Segment(progressive ? (byte)0xC2 : (byte)0xC0, [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 1, 1, 0x11, 0]);
        byte[] oneCodeOfLengthOne = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        Segment(0xC4, [0x00, .. oneCodeOfLengthOne, 0x00]); // DC: "0" = category 0
        Segment(0xC4, [0x10, .. oneCodeOfLengthOne, 0x00]); // AC: "0" = end of block
        Segment(0xDA, progressive ? [1, 1, 0x00, 0, 0, 0] : [1, 1, 0x00, 0, 63, 0]);
        long blocks = (long)((width + 7) / 8) * ((height + 7) / 8);
        long bits = progressive ? blocks : 2 * blocks;
        ms.Write(new byte[bits / 8]);
        if (bits % 8 != 0)
        {
            ms.WriteByte((byte)(0xFF >> (int)(bits % 8))); // pad with ones; never 0xFF, so no stuffing
        }

        ms.Write([0xFF, 0xD9]);
        return ms.ToArray();
    }
}
