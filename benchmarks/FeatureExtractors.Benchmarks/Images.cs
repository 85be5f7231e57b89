using System.Buffers.Binary;
using System.IO.Compression;

namespace ImageWorkbench.FeatureExtractors.Benchmarks;

internal static class Images
{
    public static float[] Random(int seed, int n)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = (float)rng.NextDouble();
        }

        return a;
    }

    /// <summary>Reads an IDX3 (gz) image file into one float buffer of count*rows*cols values in 0..1.</summary>
    public static (float[] Pixels, int Count, int Rows, int Cols) ReadIdxImages(string path)
    {
        using var file = File.OpenRead(path);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        byte[] b = ms.ToArray();
        int magic = BinaryPrimitives.ReadInt32BigEndian(b);
        if (magic != 0x803)
        {
            throw new InvalidDataException($"{path}: not an IDX3 image file (magic 0x{magic:x})");
        }

        int count = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(4));
        int rows = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(8));
        int cols = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(12));
        var pixels = new float[count * rows * cols];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = b[16 + i] / 255f;
        }

        return (pixels, count, rows, cols);
    }
}
