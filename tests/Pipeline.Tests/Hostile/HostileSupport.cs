using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;
using ImageWorkbench.Pipeline.Cli;
using SkiaSharp;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>Tests that swap <see cref="Console.Error"/> run one at a time, after the parallel ones.</summary>
[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection
{
}

/// <summary>What one in-process CLI run printed.</summary>
internal sealed record CliResult(string[] Args, int ExitCode, string Out, string Err)
{
    public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    public string[] Errors => ErrLines.Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToArray();

    public string[] Warnings => ErrLines.Where(l => l.StartsWith("warning:", StringComparison.Ordinal)).ToArray();

    public override string ToString() => $"pipeline {string.Join(' ', Args)} -> {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";

    /// <summary>Exit 1, exactly one <c>error:</c> line, naming <paramref name="file"/>, and no stack trace.</summary>
    public void AssertOneErrorNaming(string file)
    {
        Assert.True(ExitCode == 1, ToString());
        Assert.True(Errors.Length == 1, ToString());
        Assert.True(Errors[0].Contains(Path.GetFileName(file), StringComparison.Ordinal), $"the error line does not name {Path.GetFileName(file)}\n{this}");
        AssertNoStackTrace();
    }

    public void AssertNoStackTrace() =>
        Assert.False(ErrLines.Any(l => l.StartsWith("   at ", StringComparison.Ordinal) || l.Contains("Exception:", StringComparison.Ordinal) && !l.StartsWith("error:", StringComparison.Ordinal)), ToString());
}

/// <summary>Runs <see cref="Program.Run"/> in process with stderr captured and a time bound.</summary>
internal static class Cli
{
    private static readonly object Gate = new();

    public static CliResult Run(params string[] args) => Run(TimeSpan.FromSeconds(60), args);

    public static CliResult Run(TimeSpan limit, params string[] args)
    {
        lock (Gate)
        {
            var err = new StringWriter();
            var output = new StringWriter();
            var previous = Console.Error;
            Console.SetError(TextWriter.Synchronized(err));
            try
            {
                var run = Task.Run(() => Program.Run(args, output, CancellationToken.None));
                if (!run.Wait(limit))
                {
                    Assert.Fail($"pipeline {string.Join(' ', args)} did not finish within {limit.TotalSeconds:F0} s\n{err}");
                }

                return new CliResult(args, run.Result, output.ToString(), err.ToString());
            }
            finally
            {
                Console.SetError(previous);
            }
        }
    }

    /// <summary>No temp or half-written files in <paramref name="folder"/> (recursively).</summary>
    public static void AssertNoTempFiles(string folder)
    {
        if (Directory.Exists(folder))
        {
            Assert.Empty(Directory.GetFiles(folder, "*.tmp", SearchOption.AllDirectories));
        }
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Pipeline.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Builds hostile and ordinary image files in memory (nothing downloaded).</summary>
internal static class HostileFiles
{
    /// <summary>A w x h colour picture: a class-dependent pattern plus seeded noise, as PNG or JPEG.</summary>
    public static byte[] Picture(int w, int h, int cls, int seed, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 90)
    {
        using var bitmap = Pixels(w, h, cls, seed);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    public static SKBitmap Pixels(int w, int h, int cls, int seed)
    {
        var random = new Random(seed);
        var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                // class 0: horizontal stripes, reddish; class 1: vertical stripes, bluish
                var on = cls == 0 ? (y / 4) % 2 == 0 : (x / 4) % 2 == 0;
                var v = (byte)Math.Clamp((on ? 200 : 40) + random.Next(-30, 30), 0, 255);
                bitmap.SetPixel(x, y, cls == 0 ? new SKColor(v, (byte)(v / 2), 30) : new SKColor(30, (byte)(v / 2), v));
            }
        }

        return bitmap;
    }

    /// <summary>A named pipe: opening it for reading blocks until a writer comes, so a reader that opens it hangs.</summary>
    public static void MakeFifo(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    // ------------------------------------------------------------ PNG by hand (any bit depth / colour type)

    /// <summary>A PNG from raw scanline bytes (filter byte 0 is added per row).</summary>
    public static byte[] Png(int width, int height, byte bitDepth, byte colourType, Func<int, byte[]> row, bool withIend = true)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = bitDepth;
        ihdr[9] = colourType;
        Chunk(ms, "IHDR", ihdr);
        using (var raw = new MemoryStream())
        {
            using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            {
                for (var y = 0; y < height; y++)
                {
                    z.WriteByte(0);
                    z.Write(row(y));
                }
            }

            Chunk(ms, "IDAT", raw.ToArray());
        }

        if (withIend)
        {
            Chunk(ms, "IEND", []);
        }

        return ms.ToArray();
    }

    /// <summary>A PNG whose header claims <paramref name="width"/> x <paramref name="height"/> but holds one row of data.</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 0;
        Chunk(ms, "IHDR", ihdr);
        using (var raw = new MemoryStream())
        {
            using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            {
                z.Write(new byte[1 + Math.Min(width, 4096)]);
            }

            Chunk(ms, "IDAT", raw.ToArray());
        }

        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32([.. typeBytes, .. data]));
        s.Write(len);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    // ------------------------------------------------------------ JPEG by hand: 4 components, Adobe APP14

    /// <summary>
    /// A baseline JPEG with four components (CMYK, Adobe APP14 transform 0), every 8x8 block flat. Each component
    /// has one DC value per image (<paramref name="storedCmyk"/>, stored as Adobe does: inverted, 255 = no ink).
    /// Huffman tables are minimal: DC symbols 0 and 11 categories as needed, AC only EOB.
    /// </summary>
    public static byte[] CmykJpeg(int width, int height, byte[] storedCmyk)
    {
        using var ms = new MemoryStream();
        void Marker(byte m, byte[] payload)
        {
            ms.WriteByte(0xFF);
            ms.WriteByte(m);
            ms.WriteByte((byte)((payload.Length + 2) >> 8));
            ms.WriteByte((byte)(payload.Length + 2));
            ms.Write(payload);
        }

        ms.Write([0xFF, 0xD8]);
        // APP14 "Adobe": version 100, flags0 0, flags1 0, transform 0 (CMYK, no YCC conversion)
        Marker(0xEE, [.. "Adobe"u8, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00]);
        // DQT: table 0, all ones
        Marker(0xDB, [0x00, .. Enumerable.Repeat((byte)1, 64)]);
        // SOF0: 8-bit, height, width, 4 components, each 1x1 sampling, quant table 0
        Marker(0xC0, [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]);

        // DC table 0: categories 0..11, code lengths 4 each (12 codes of length 4: 0000..1011) -- simple and complete enough.
        var dcCounts = new byte[16];
        dcCounts[3] = 12;
        Marker(0xC4, [0x00, .. dcCounts, .. Enumerable.Range(0, 12).Select(i => (byte)i)]);
        // AC table 0: only EOB (symbol 0x00), code "0" (length 1)
        var acCounts = new byte[16];
        acCounts[0] = 1;
        Marker(0xC4, [0x10, .. acCounts, 0x00]);
        // SOS: 4 components, all tables 0
        Marker(0xDA, [4, 1, 0x00, 2, 0x00, 3, 0x00, 4, 0x00, 0, 63, 0]);

        var bits = new BitWriter();
        var mcusX = (width + 7) / 8;
        var mcusY = (height + 7) / 8;
        var previous = new int[4];
        for (var m = 0; m < mcusX * mcusY; m++)
        {
            for (var c = 0; c < 4; c++)
            {
                // Flat block of value v: DC coefficient = 8 * (v - 128) with quantisation 1.
                var dc = 8 * (storedCmyk[c] - 128);
                var diff = dc - previous[c];
                previous[c] = dc;
                var category = diff == 0 ? 0 : 32 - BitOperations.LeadingZeroCount((uint)Math.Abs(diff));
                bits.Write(category, 4); // DC code: category as 4 bits
                if (category > 0)
                {
                    var value = diff > 0 ? diff : diff + (1 << category) - 1;
                    bits.Write(value, category);
                }

                bits.Write(0, 1); // EOB
            }
        }

        ms.Write(bits.Finish());
        ms.Write([0xFF, 0xD9]);
        return ms.ToArray();
    }

    private sealed class BitWriter
    {
        private readonly List<byte> _bytes = [];
        private int _current;
        private int _count;

        public void Write(int value, int length)
        {
            for (var i = length - 1; i >= 0; i--)
            {
                _current = (_current << 1) | ((value >> i) & 1);
                if (++_count == 8)
                {
                    Emit();
                }
            }
        }

        public byte[] Finish()
        {
            while (_count != 0)
            {
                _current = (_current << 1) | 1;
                if (++_count == 8)
                {
                    Emit();
                }
            }

            return [.. _bytes];
        }

        private void Emit()
        {
            _bytes.Add((byte)_current);
            if (_current == 0xFF)
            {
                _bytes.Add(0x00);
            }

            _current = 0;
            _count = 0;
        }
    }

    // ------------------------------------------------------------ GIF by hand: animated, 2 frames

    /// <summary>An animated GIF89a (NETSCAPE loop) of two w x h frames: frame 1 all colour 1 (red), frame 2 all colour 2 (green).</summary>
    public static byte[] AnimatedGif(int w, int h)
    {
        using var ms = new MemoryStream();
        ms.Write("GIF89a"u8);
        ms.Write([(byte)w, (byte)(w >> 8), (byte)h, (byte)(h >> 8), 0xF1, 0, 0]); // global table, 4 colours
        ms.Write([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
        ms.Write([0x21, 0xFF, 0x0B, .. "NETSCAPE2.0"u8, 0x03, 0x01, 0x00, 0x00, 0x00]);
        foreach (var colour in new[] { 1, 2 })
        {
            ms.Write([0x21, 0xF9, 0x04, 0x04, 10, 0, 0, 0]); // graphic control: 0.1 s, do not dispose
            ms.Write([0x2C, 0, 0, 0, 0, (byte)w, (byte)(w >> 8), (byte)h, (byte)(h >> 8), 0]);
            ms.WriteByte(2); // LZW minimum code size
            // clear, pixel, clear, pixel, ... end: the dictionary never grows, so every code is 3 bits
            var bits = new List<bool>();
            void Code(int c)
            {
                for (var i = 0; i < 3; i++)
                {
                    bits.Add(((c >> i) & 1) != 0);
                }
            }

            for (var p = 0; p < w * h; p++)
            {
                Code(4);
                Code(colour);
            }

            Code(5);
            var data = new byte[(bits.Count + 7) / 8];
            for (var i = 0; i < bits.Count; i++)
            {
                if (bits[i])
                {
                    data[i / 8] |= (byte)(1 << (i % 8));
                }
            }

            for (var offset = 0; offset < data.Length; offset += 255)
            {
                var n = Math.Min(255, data.Length - offset);
                ms.WriteByte((byte)n);
                ms.Write(data, offset, n);
            }

            ms.WriteByte(0);
        }

        ms.WriteByte(0x3B);
        return ms.ToArray();
    }

    // ------------------------------------------------------------ EXIF orientation

    /// <summary>Inserts an APP1 Exif segment with the given orientation tag right after SOI.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        // TIFF header (big-endian), one IFD with one entry: 0x0112 SHORT 1 = orientation
        byte[] tiff =
        [
            .. "MM"u8, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,
            0x00, 0x01,
            0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, (byte)(orientation >> 8), (byte)orientation, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00,
        ];
        byte[] payload = [.. "Exif"u8, 0, 0, .. tiff];
        var length = payload.Length + 2;
        return [jpeg[0], jpeg[1], 0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload, .. jpeg.AsSpan(2)];
    }
}
