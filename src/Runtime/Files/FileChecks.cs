using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ImageWorkbench.Runtime.Files;

/// <summary>
/// Checks made before opening a file the user named, and the bounded way to read an input file (image files that are
/// plain regular files take <see cref="RegularFile"/>, four system calls, and fall back to this for everything else).
/// </summary>
public static class FileChecks
{
    /// <summary>Bytes read per step when hashing a file: small enough to stay off the large object heap.</summary>
    private const int HashStep = 80 * 1024;

    // Linux open(2) flags; the same values on x64, arm64, arm, s390x and ppc64le (MIPS and SPARC differ and are not
    // .NET targets). O_NONBLOCK makes opening a named pipe return at once instead of waiting for a writer.
    private const int OpenReadOnly = 0;
    private const int OpenNonBlocking = 0x800;
    private const int OpenCloseOnExec = 0x80000;

    /// <summary>The flags every input file is opened with on Linux (<see cref="RegularFile"/> too).</summary>
    internal const int OpenReadOnlyNonBlocking = OpenReadOnly | OpenNonBlocking | OpenCloseOnExec;

    /// <summary>
    /// True when <paramref name="path"/> exists and reports 0 bytes: an empty file, or a named pipe or device (they
    /// report 0 bytes too, and opening a pipe blocks until a writer comes: a hang). Callers refuse such a path
    /// without opening it.
    /// </summary>
    public static bool IsEmpty(string path) => new FileInfo(path) is { Exists: true, Length: 0 };

    /// <summary>
    /// Why <paramref name="path"/> cannot be opened as <paramref name="what"/> (e.g. "an image file"), or null when it
    /// is a file. A folder gets its own answer: opening one reports "access denied", which sends users looking at permissions.
    /// </summary>
    public static string? WhyNotAFile(string path, string what) =>
        File.Exists(path) ? null : Directory.Exists(path) ? $"is a folder, not {what}" : "file not found";

    /// <summary>
    /// Opens <paramref name="path"/> for reading as <paramref name="what"/>, or returns null with the reason (no path in
    /// it: callers name the file). Refuses, before reading anything: a folder, a missing file, a link loop, and anything
    /// that is not a regular file with content - a named pipe or socket (not seekable), a device or a /proc-like file
    /// (size 0 yet it gives data), an empty file. On Linux the open itself cannot block: it uses O_NONBLOCK, so a path
    /// swapped for a named pipe after any earlier check is refused, not waited on; every check is made on the opened
    /// handle, so a swap between check and read changes nothing. Elsewhere a 0-byte path is refused before opening.
    /// </summary>
    public static FileStream? OpenRegular(string path, string what, out string? refusal)
    {
        refusal = null;
        if (Directory.Exists(path))
        {
            refusal = $"is a folder, not {what}";
            return null;
        }

        SafeFileHandle? handle = null;
        FileStream? stream = null;
        try
        {
            if (OperatingSystem.IsLinux())
            {
                handle = OpenNonBlockingOnLinux(path, out refusal);
                if (handle is null)
                {
                    return null;
                }
            }
            else
            {
                if (!File.Exists(path))
                {
                    refusal = "file not found";
                    return null;
                }

                if (IsEmpty(path))
                {
                    refusal = "empty file (0 bytes)";
                    return null;
                }

                handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            }

            stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
            handle = null; // the stream owns it now
            refusal = WhyNotRegular(stream, what);
            if (refusal is null)
            {
                var opened = stream;
                stream = null;
                return opened;
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            refusal = e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : $"cannot read: {e.Message}";
            return null;
        }
        finally
        {
            stream?.Dispose();
            handle?.Dispose();
        }
    }

    /// <summary>
    /// Reads the whole of an opened file into <paramref name="buffer"/>'s start and returns the byte count, or -1 when
    /// it holds more than <paramref name="maxBytes"/>. Never trusts the reported length: it reads at most
    /// <paramref name="maxBytes"/> + 1 bytes, so a file that grows while read, or lies about its size, stays bounded.
    /// <paramref name="buffer"/> must hold <paramref name="maxBytes"/> + 1 bytes.
    /// </summary>
    public static int ReadBounded(Stream stream, Span<byte> buffer, int maxBytes)
    {
        Span<byte> window = buffer[..(maxBytes + 1)];
        int length = stream.ReadAtLeast(window, window.Length, throwOnEndOfStream: false);
        return length > maxBytes ? -1 : length;
    }

    /// <summary>
    /// SHA-256 of the whole content of <paramref name="path"/>, read through <see cref="OpenRegular"/> in 80 KiB steps
    /// and at most <paramref name="maxBytes"/> long; null with the reason otherwise. Hashed as it is read, never held
    /// whole: a cache key of a file near the image limit must not cost the file's size again on top of its decode.
    /// </summary>
    public static byte[]? HashAllBounded(string path, string what, long maxBytes, out string? refusal)
    {
        using FileStream? stream = OpenRegular(path, what, out refusal);
        if (stream is null)
        {
            return null;
        }

        byte[] chunk = ArrayPool<byte>.Shared.Rent(HashStep);
        try
        {
            long size = stream.Length;
            if (size > maxBytes)
            {
                refusal = TooLarge(size, maxBytes);
                return null;
            }

            // Reads at most one byte past the reported length, to notice growth; a file that grows past it is refused.
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long total = 0;
            int read;
            while ((read = stream.Read(chunk, 0, (int)Math.Min(HashStep, size + 1 - total))) > 0)
            {
                hash.AppendData(chunk, 0, read);
                total += read;
                if (total > size)
                {
                    refusal = $"file grew while being read (past its {size} bytes)";
                    return null;
                }
            }

            return hash.GetHashAndReset();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            refusal = $"cannot read: {e.Message}";
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>
    /// The lines of a text file read through <see cref="OpenRegular"/> (so a pipe, a device or a path swapped for one
    /// is refused, not waited on) and at most <paramref name="maxBytes"/> long; null with the reason otherwise. UTF-8
    /// unless a byte-order mark says otherwise.
    /// </summary>
    public static string[]? ReadAllLinesBounded(string path, string what, long maxBytes, out string? refusal)
    {
        using FileStream? stream = OpenRegular(path, what, out refusal);
        if (stream is null)
        {
            return null;
        }

        try
        {
            if (stream.Length > maxBytes)
            {
                refusal = TooLarge(stream.Length, maxBytes);
                return null;
            }

            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            var lines = new List<string>();
            long chars = 0;
            while (reader.ReadLine() is { } line)
            {
                chars += line.Length + 1;
                if (chars > maxBytes)
                {
                    refusal = $"file grew while being read (past {maxBytes} bytes)";
                    return null;
                }

                lines.Add(line);
            }

            return [.. lines];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            refusal = $"cannot read: {e.Message}";
            return null;
        }
    }

    /// <summary>The message for a file over a byte limit.</summary>
    public static string TooLarge(long size, long maxBytes) => $"file is {size:N0} bytes, too big (the limit is {maxBytes:N0} bytes)";

    private static string? WhyNotRegular(FileStream stream, string what)
    {
        if (!stream.CanSeek)
        {
            return $"is a named pipe or socket, not {what}";
        }

        if (stream.Length > 0)
        {
            return null;
        }

        // 0 bytes: an empty file reads nothing; a device or a /proc file reports 0 bytes but gives data. One byte
        // tells them apart, and cannot block: a Linux handle is non-blocking, and a device that would wait fails.
        Span<byte> probe = stackalloc byte[1];
        try
        {
            return stream.Read(probe) == 0 ? "empty file (0 bytes)" : $"is a device or a special file (size 0, yet it gives data), not {what}";
        }
        catch (IOException)
        {
            return $"is a device or a special file, not {what}";
        }
    }

    private static SafeFileHandle? OpenNonBlockingOnLinux(string path, out string? refusal)
    {
        refusal = null;
        byte[] nativePath = Encoding.UTF8.GetBytes(Path.GetFullPath(path) + "\0");
        int fd = NativeOpen(nativePath, OpenReadOnlyNonBlocking);
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        int errno = Marshal.GetLastPInvokeError();
        refusal = errno switch
        {
            2 or 20 => "file not found", // ENOENT, ENOTDIR
            13 => "permission denied", // EACCES
            40 => "a symbolic link loop (it points at itself)", // ELOOP
            6 => "is a socket or a device with nothing behind it, not a file", // ENXIO
            _ => $"cannot open: {Marshal.GetPInvokeErrorMessage(errno)}",
        };
        return null;
    }

    // A byte array (NUL-terminated UTF-8) rather than a string: it is pinned, not marshalled, so no unsafe code is needed.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeOpen(byte[] path, int flags);
}
