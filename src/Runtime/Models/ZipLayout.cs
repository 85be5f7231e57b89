using System.Buffers.Binary;

namespace ImageWorkbench.Runtime.Models;

/// <summary>
/// The bytes of a package that no checksum covers: each entry's local header (time stamp, flags, sizes, name), read by
/// <see cref="System.IO.Compression.ZipArchive"/> only for its lengths, and any bytes between or after the entries.
/// The entries' contents are checked against <c>SHA256SUMS</c>; this checks that every local header repeats its central
/// directory record and that the entries, the central directory and its end record cover the file exactly, so a byte
/// changed anywhere is refused, not only one inside an entry's data.
/// </summary>
internal static class ZipLayout
{
    private const uint LocalHeaderSignature = 0x04034b50;
    private const uint CentralHeaderSignature = 0x02014b50;
    private const uint EndSignature = 0x06054b50;
    private const uint DataDescriptorSignature = 0x08074b50;
    private const int LocalHeaderLength = 30;
    private const int CentralHeaderLength = 46;
    private const int EndLength = 22;

    /// <summary>Null when the layout is whole; else what is wrong, for an error line after the file's name.</summary>
    public static string? Problem(ReadOnlySpan<byte> file)
    {
        var end = FindEnd(file);
        if (end < 0)
        {
            return "no zip end record";
        }

        var count = BinaryPrimitives.ReadUInt16LittleEndian(file[(end + 10)..]);
        var directorySize = BinaryPrimitives.ReadUInt32LittleEndian(file[(end + 12)..]);
        var directoryOffset = BinaryPrimitives.ReadUInt32LittleEndian(file[(end + 16)..]);
        var commentLength = BinaryPrimitives.ReadUInt16LittleEndian(file[(end + 20)..]);
        if (directoryOffset == uint.MaxValue || directorySize == uint.MaxValue || count == ushort.MaxValue)
        {
            return null; // zip64: packages never need it; ZipArchive checks what it reads
        }

        if ((long)directoryOffset + directorySize != end || end + EndLength + commentLength != file.Length)
        {
            return "bytes before, inside or after the zip directory that belong to nothing";
        }

        var expectedStart = 0L;
        var at = (int)directoryOffset;
        for (var i = 0; i < count; i++)
        {
            if (at + CentralHeaderLength > end || BinaryPrimitives.ReadUInt32LittleEndian(file[at..]) != CentralHeaderSignature)
            {
                return "a damaged zip directory";
            }

            var central = file.Slice(at, CentralHeaderLength);
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(central[28..]);
            var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(central[30..]);
            var entryComment = BinaryPrimitives.ReadUInt16LittleEndian(central[32..]);
            var localOffset = BinaryPrimitives.ReadUInt32LittleEndian(central[42..]);
            var compressedSize = BinaryPrimitives.ReadUInt32LittleEndian(central[20..]);
            if (at + CentralHeaderLength + nameLength + extraLength + entryComment > end)
            {
                return "a damaged zip directory";
            }

            var name = file.Slice(at + CentralHeaderLength, nameLength);
            if (localOffset != expectedStart || localOffset + LocalHeaderLength + nameLength > directoryOffset)
            {
                return "bytes between the zip entries that belong to nothing";
            }

            var local = file.Slice((int)localOffset, LocalHeaderLength);
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(central[8..]);
            var hasDescriptor = (flags & 0x8) != 0;
            if (BinaryPrimitives.ReadUInt32LittleEndian(local) != LocalHeaderSignature
                || !local.Slice(4, 10).SequenceEqual(central.Slice(6, 10)) // version needed, flags, method, time, date
                || (!hasDescriptor && !local.Slice(14, 12).SequenceEqual(central.Slice(16, 12))) // CRC-32, sizes
                || BinaryPrimitives.ReadUInt16LittleEndian(local[26..]) != nameLength
                || !file.Slice((int)localOffset + LocalHeaderLength, nameLength).SequenceEqual(name))
            {
                return $"the local header of entry '{System.Text.Encoding.UTF8.GetString(name)}' differs from the zip directory";
            }

            var localExtra = BinaryPrimitives.ReadUInt16LittleEndian(local[28..]);
            expectedStart = localOffset + LocalHeaderLength + nameLength + localExtra + compressedSize;
            if (hasDescriptor)
            {
                var descriptorAt = (int)Math.Min(expectedStart, file.Length);
                var signed = descriptorAt + 4 <= file.Length && BinaryPrimitives.ReadUInt32LittleEndian(file[descriptorAt..]) == DataDescriptorSignature;
                expectedStart += signed ? 16 : 12;
            }

            at += CentralHeaderLength + nameLength + extraLength + entryComment;
        }

        return expectedStart == directoryOffset && at == end ? null : "bytes between the zip entries that belong to nothing";
    }

    private static int FindEnd(ReadOnlySpan<byte> file)
    {
        for (var at = file.Length - EndLength; at >= Math.Max(0, file.Length - EndLength - ushort.MaxValue); at--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(file[at..]) == EndSignature)
            {
                return at;
            }
        }

        return -1;
    }
}
