using System.Buffers.Binary;
using System.IO.Compression;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>
/// Reads IDX files (the MNIST family's format: a big-endian magic <c>0x000008DD</c> with DD the number of
/// dimensions, then one big-endian int32 per dimension, then unsigned bytes), plain or gzip-compressed.
/// Every claim of the header is checked before the data buffer is allocated.
/// </summary>
internal static class IdxReader
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>Largest image side accepted in an IDX file; MNIST-family images are 28x28.</summary>
    public const int MaxSide = 4096;

    /// <summary>Deflate cannot compress better than about 1032:1, so a gzip file of n bytes holds at most that much.</summary>
    private const long MaxDeflateRatio = 1032;

    /// <summary>
    /// Most a gzip IDX file may inflate to per compressed byte. Real image sets compress 2:1 to 10:1 (Fashion-MNIST
    /// 1.8:1); only near-blank data comes close to deflate's 1032:1, and a "data set" of 0.8 MB inflating to 0.8 GB
    /// is a gzip bomb. Files up to <see cref="FreeInflatedBytes"/> may inflate at any ratio (small synthetic sets).
    /// </summary>
    private const long MaxGzipRatio = 100;

    /// <summary>What any gzip IDX file may inflate to whatever its ratio: 64 MiB (all of Fashion-MNIST's training images are 47 MB).</summary>
    private const long FreeInflatedBytes = 64L << 20;

    /// <summary>Data is read in chunks of this size and the buffer grows as it arrives: a header's word allocates nothing.</summary>
    private const int ReadChunk = 1 << 20;

    internal sealed record IdxImages(byte[] Pixels, int Count, int Rows, int Columns);

    /// <param name="path">The images file.</param>
    /// <param name="labels">Its labels file and the labels it holds, when read first: a header claiming another count is refused before its data is read.</param>
    public static IdxImages ReadImages(string path, (string Path, int Count)? labels = null)
    {
        (int[] dims, byte[] data) = Read(path, ImagesMagic, 3, "images", labels);
        return new IdxImages(data, dims[0], dims[1], dims[2]);
    }

    public static byte[] ReadLabels(string path) => Read(path, LabelsMagic, 1, "labels", labels: null).Data;

    private static (int[] Dims, byte[] Data) Read(string path, int expectedMagic, int expectedDims, string what, (string Path, int Count)? labels)
    {
        try
        {
            using FileStream file = FileChecks.OpenRegular(path, $"an IDX {what} file", out string? refusal) ?? throw Fail(path, refusal ?? "cannot be opened");
            bool gzip = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
            long fileLength = file.Length;
            using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;

            Span<byte> head = stackalloc byte[4];
            ReadHeader(stream, head, path, gzip);
            int magic = BinaryPrimitives.ReadInt32BigEndian(head);
            if (head[0] != 0 || head[1] != 0 || head[2] != 0x08)
            {
                throw Fail(path, $"bad magic number 0x{magic:X8}, expected 0x{expectedMagic:X8} (IDX unsigned-byte {what})");
            }

            if (head[3] != expectedDims)
            {
                throw Fail(path, $"header (magic 0x{magic:X8}) declares {head[3]} dimensions, IDX {what} have {expectedDims}");
            }

            Span<byte> dimBytes = stackalloc byte[4 * expectedDims];
            ReadHeader(stream, dimBytes, path, gzip);
            int[] dims = new int[expectedDims];
            long total = 1;
            for (int i = 0; i < expectedDims; i++)
            {
                dims[i] = BinaryPrimitives.ReadInt32BigEndian(dimBytes.Slice(4 * i, 4));
                if (dims[i] < 0)
                {
                    throw Fail(path, $"header claims a negative size ({dims[i]}) in dimension {i + 1}");
                }

                total *= dims[i];
                if (total > Array.MaxLength)
                {
                    throw Fail(path, $"header claims {string.Join(" x ", dims[..(i + 1)])} {what} bytes, more than can be loaded");
                }
            }

            if (expectedDims == 3 && (dims[1] is < 1 or > MaxSide || dims[2] is < 1 or > MaxSide))
            {
                throw Fail(path, $"header claims {dims[1]}x{dims[2]}-pixel images; sides must be 1..{MaxSide}");
            }

            long headerLength = 4 + (4L * expectedDims);
            if (!gzip)
            {
                long available = fileLength - headerLength;
                if (available < total)
                {
                    throw Fail(path, $"truncated: header promises {Describe(dims, what)} ({total} bytes), the file holds {available}");
                }

                if (available > total)
                {
                    throw Fail(path, $"file is {available - total} bytes longer than its header ({Describe(dims, what)}) says");
                }
            }
            else if (total > (fileLength * MaxDeflateRatio) + 1024)
            {
                throw Fail(path, $"header promises {Describe(dims, what)} ({total} bytes), more than a {fileLength}-byte gzip file can hold: corrupt or truncated");
            }
            else if (total > Math.Max(FreeInflatedBytes, fileLength * MaxGzipRatio))
            {
                throw Fail(path, $"header promises {Describe(dims, what)} ({total} bytes) from a {fileLength}-byte gzip file, a ratio over {MaxGzipRatio}:1 that real image data never reaches (a gzip bomb?); refused before inflating");
            }

            if (labels is { } expected && dims[0] != expected.Count)
            {
                throw new DatasetException($"{expected.Path}: has {expected.Count} labels but {Path.GetFileName(path)} has {dims[0]} images");
            }

            byte[] data = ReadCounted(stream, (int)total, path, dims, what);
            if (gzip && stream.ReadByte() >= 0)
            {
                throw Fail(path, $"decompressed data is longer than its header ({Describe(dims, what)}) says");
            }

            return (dims, data);
        }
        catch (InvalidDataException e)
        {
            throw Fail(path, $"corrupt or truncated gzip data ({e.Message.TrimEnd('.')})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Fail(path, $"cannot read: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads exactly <paramref name="total"/> bytes, growing the buffer (doubling, up to <paramref name="total"/>) as
    /// data actually arrives: a header that promises more than the stream holds fails at the end of the data having
    /// allocated about what was there, not what was promised.
    /// </summary>
    private static byte[] ReadCounted(Stream stream, int total, string path, int[] dims, string what)
    {
        byte[] data = GC.AllocateUninitializedArray<byte>(Math.Min(total, ReadChunk));
        int read = 0;
        while (read < total)
        {
            if (read == data.Length)
            {
                byte[] grown = GC.AllocateUninitializedArray<byte>((int)Math.Min(total, 2L * data.Length));
                data.AsSpan(0, read).CopyTo(grown);
                data = grown;
            }

            int n = stream.Read(data, read, data.Length - read);
            if (n == 0)
            {
                throw Fail(path, $"truncated: data ends after {read} of the {total} bytes its header promises ({Describe(dims, what)})");
            }

            read += n;
        }

        return data;
    }

    private static void ReadHeader(Stream stream, Span<byte> buffer, string path, bool gzip)
    {
        if (stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length)
        {
            throw Fail(path, gzip ? "truncated: the IDX header is incomplete (or the gzip data is cut short)" : "truncated: the IDX header is incomplete");
        }
    }

    private static string Describe(int[] dims, string what) =>
        dims.Length == 3 ? $"{dims[0]} images of {dims[1]}x{dims[2]}" : $"{dims[0]} {what}";

    private static DatasetException Fail(string path, string message, Exception? inner = null) =>
        inner is null ? new DatasetException($"{path}: {message}") : new DatasetException($"{path}: {message}", inner);
}
