using System.Buffers.Binary;
using System.IO.Compression;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>
/// Writes IDX files (unsigned-byte images <c>0x00000803</c> and labels <c>0x00000801</c>), gzip-compressed when
/// the file name ends in <c>.gz</c>. The output depends only on the input (no timestamps), so it is reproducible.
/// </summary>
public static class IdxWriter
{
    /// <summary>Writes <paramref name="images"/>, each <paramref name="rows"/> x <paramref name="columns"/> grey bytes, row-major.</summary>
    public static void WriteImages(string path, IReadOnlyList<ReadOnlyMemory<byte>> images, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        int size = rows * columns;
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i].Length != size)
            {
                throw new ArgumentException($"image {i} has {images[i].Length} bytes, expected {rows}x{columns} = {size}", nameof(images));
            }
        }

        Write(path, stream =>
        {
            Span<byte> header = stackalloc byte[16];
            BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.ImagesMagic);
            BinaryPrimitives.WriteInt32BigEndian(header[4..], images.Count);
            BinaryPrimitives.WriteInt32BigEndian(header[8..], rows);
            BinaryPrimitives.WriteInt32BigEndian(header[12..], columns);
            stream.Write(header);
            for (int i = 0; i < images.Count; i++)
            {
                stream.Write(images[i].Span);
            }
        });
    }

    /// <summary>Writes one label byte per image.</summary>
    public static void WriteLabels(string path, IReadOnlyList<byte> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        byte[] body = labels as byte[] ?? [.. labels];
        Write(path, stream =>
        {
            Span<byte> header = stackalloc byte[8];
            BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.LabelsMagic);
            BinaryPrimitives.WriteInt32BigEndian(header[4..], labels.Count);
            stream.Write(header);
            stream.Write(body);
        });
    }

    /// <summary>Atomically (a full disk leaves the previous file, never a truncated .gz), through gzip when the name ends in .gz.</summary>
    private static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, file =>
        {
            if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            {
                write(file);
                return;
            }

            using var gzip = new GZipStream(file, CompressionLevel.SmallestSize, leaveOpen: true);
            write(gzip);
        });
    }
}
