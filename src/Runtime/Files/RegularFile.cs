using System.Runtime.InteropServices;
using System.Text;

namespace ImageWorkbench.Runtime.Files;

/// <summary>
/// A regular file with content, opened the short way on 64-bit Linux: open (non-blocking, as
/// <see cref="FileChecks.OpenRegular"/>), one <c>statx</c> on the handle for its type and size, <c>pread</c>s, close.
/// Reading a 1 KB image through <see cref="FileChecks.OpenRegular"/> and a <see cref="FileStream"/> made 11-12 system
/// calls (a folder check of two stats, open, two lseeks and two fstats for the stream, a lead read, the read, a read
/// to see the end, close), about 21 us of kernel time a file on this VM: more than decoding it. Anything but a regular
/// file of at least one byte (a folder, a pipe, a device, a /proc file, an empty file, a path that does not open) is
/// declined, and the caller takes <see cref="FileChecks.OpenRegular"/>, which gives the reasons; so is every other
/// platform. The checks are on the opened handle, so a path swapped after it is opened changes nothing.
/// </summary>
internal ref struct RegularFile
{
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const int StatxModeOffset = 28; // struct statx: the same layout on every Linux architecture
    private const int StatxSizeOffset = 40;
    private const int StatxLength = 256;
    private const int FileTypeMask = 0xF000;
    private const int RegularFileType = 0x8000;
    private const int Interrupted = 4; // EINTR

    /// <summary>Longest path encoded on the stack (PATH_MAX); longer ones are declined.</summary>
    private const int MaxPathBytes = 4096;

    private static bool available = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    private readonly int _descriptor;
    private bool _open;

    private RegularFile(int descriptor, long size)
    {
        _descriptor = descriptor;
        _open = true;
        Size = size;
    }

    /// <summary>The size the file reported when opened (at least 1).</summary>
    public long Size { get; }

    /// <summary>Opens <paramref name="path"/> when it is a regular file of at least one byte; false for anything else (nothing is left open).</summary>
    public static bool TryOpen(string path, out RegularFile file)
    {
        file = default;
        if (!available)
        {
            return false;
        }

        Span<byte> nativePath = stackalloc byte[MaxPathBytes];
        var full = Path.IsPathFullyQualified(path) ? path : Path.GetFullPath(path);
        if (Encoding.UTF8.GetMaxByteCount(full.Length) >= MaxPathBytes)
        {
            return false; // a very long path: the stream path takes it
        }

        nativePath[Encoding.UTF8.GetBytes(full, nativePath)] = 0;
        int descriptor;
        try
        {
            descriptor = NativeOpen(ref MemoryMarshal.GetReference(nativePath), FileChecks.OpenReadOnlyNonBlocking);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            available = false; // not glibc-like: the stream path serves every file from now on
            return false;
        }

        if (descriptor < 0)
        {
            return false;
        }

        if (!TryRegularSize(descriptor, out var size))
        {
            _ = NativeClose(descriptor);
            return false;
        }

        file = new RegularFile(descriptor, size);
        return true;
    }

    /// <summary>
    /// Reads from the start into <paramref name="window"/>, which the caller sizes to <see cref="Size"/> + 1, and returns
    /// the byte count; -1 when the window filled (the file is longer than it reported: it grew). Stops at the reported
    /// size without a further read to see the end: a file that grows after that is missed, as it would be after any
    /// end-of-file read.
    /// </summary>
    public readonly int ReadWhole(Span<byte> window)
    {
        var total = 0;
        while (total < window.Length)
        {
            var read = ReadAt(window[total..], total);
            if (read == 0)
            {
                break;
            }

            total += read;
            if (total == Size)
            {
                break;
            }
        }

        return total == window.Length ? -1 : total;
    }

    /// <summary>Reads up to <paramref name="into"/>'s length at <paramref name="offset"/>; 0 at the end. Throws <see cref="IOException"/> on a read error.</summary>
    public readonly int ReadAt(Span<byte> into, long offset)
    {
        while (true)
        {
            var read = NativePread(_descriptor, ref MemoryMarshal.GetReference(into), into.Length, offset);
            if (read >= 0)
            {
                return (int)read;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Interrupted)
            {
                throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
            }
        }
    }

    public void Dispose()
    {
        if (_open)
        {
            _ = NativeClose(_descriptor);
            _open = false;
        }
    }

    private static bool TryRegularSize(int descriptor, out long size)
    {
        size = 0;
        Span<byte> stat = stackalloc byte[StatxLength];
        byte emptyPath = 0;
        int result;
        try
        {
            result = NativeStatx(descriptor, ref emptyPath, AtEmptyPath, StatxType | StatxSize, ref MemoryMarshal.GetReference(stat));
        }
        catch (EntryPointNotFoundException)
        {
            available = false; // a C library older than statx (glibc 2.28)
            return false;
        }

        var mask = MemoryMarshal.Read<uint>(stat);
        if (result != 0 || (mask & (StatxType | StatxSize)) != (StatxType | StatxSize)
            || (MemoryMarshal.Read<ushort>(stat[StatxModeOffset..]) & FileTypeMask) != RegularFileType)
        {
            return false;
        }

        size = MemoryMarshal.Read<long>(stat[StatxSizeOffset..]);
        return size > 0; // 0 bytes: empty, or a /proc file that gives data anyway; the stream path tells which
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeOpen(ref byte path, int flags);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeStatx(int directory, ref byte path, int flags, uint mask, ref byte result);

    [DllImport("libc", EntryPoint = "pread", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint NativePread(int descriptor, ref byte buffer, nint count, long offset);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeClose(int descriptor);
}
