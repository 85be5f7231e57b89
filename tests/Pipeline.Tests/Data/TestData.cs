using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace ImageWorkbench.Pipeline.Tests.Data;

/// <summary>A temporary folder deleted at dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Root = Path.Combine(Path.GetTempPath(), "pipeline-data-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>Writes <paramref name="bytes"/> (default: a few bytes) at <paramref name="relative"/>, creating folders.</summary>
    public string Write(string relative, byte[]? bytes = null)
    {
        string path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes ?? [1, 2, 3]);
        return path;
    }

    public string WriteText(string relative, string text)
    {
        string path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class TestData
{
    /// <summary>Encodes pixels given as (r, g, b, a) per (x, y) with the colour type and format asked for.</summary>
    public static byte[] Encode(int width, int height, Func<int, int, SKColor> pixel, SKColorType colorType = SKColorType.Rgba8888, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 100)
    {
        var alpha = colorType is SKColorType.Gray8 or SKColorType.Rgb888x ? SKAlphaType.Opaque : SKAlphaType.Unpremul;
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, colorType, alpha));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, pixel(x, y));
            }
        }

        using SKData data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>An image of pseudo-random noise: compresses badly, so its data spans most of the file.</summary>
    public static byte[] NoisePng(int side, int seed = 7)
    {
        var rng = new Random(seed);
        return Encode(side, side, (_, _) => new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
    }

    /// <summary>A PNG signature, a valid IHDR chunk (correct CRC) claiming the given size, a tiny IDAT and an IEND.</summary>
    public static byte[] PngHeaderOnly(int width, int height)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        byte[] ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        WriteChunk(ms, "IHDR", ihdr);
        var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(new byte[64]);
        }

        WriteChunk(ms, "IDAT", idat.ToArray());
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void WriteChunk(Stream s, string type, byte[] body)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(four, body.Length);
        s.Write(four);
        byte[] typeAndBody = [.. type.Select(c => (byte)c), .. body];
        s.Write(typeAndBody);
        BinaryPrimitives.WriteUInt32BigEndian(four, Crc32(typeAndBody));
        s.Write(four);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>Raw IDX bytes with any header (for error tests): magic, dims, then data.</summary>
    public static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        byte[] result = new byte[4 + (4 * dims.Length) + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(result, magic);
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(4 + (4 * i)), dims[i]);
        }

        data.CopyTo(result, 4 + (4 * dims.Length));
        return result;
    }

    public static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }

        return ms.ToArray();
    }
}
