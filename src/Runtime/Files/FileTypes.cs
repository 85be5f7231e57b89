using System.Runtime.InteropServices;

namespace ImageWorkbench.Runtime.Files;

/// <summary>What a path names, read without following a symbolic link at its last component.</summary>
public enum FileType
{
    Missing,
    Regular,
    Directory,
    SymbolicLink,
    CharacterDevice,
    BlockDevice,
    NamedPipe,
    Socket,
    Unknown,
}

/// <summary>
/// The type of a file system entry. .NET reports a device, a named pipe and an empty file alike (an existing
/// "file" of 0 bytes), and replacing a device with a regular file is exactly what must not happen, so on Linux
/// this asks the kernel (<c>statx</c>, whose buffer layout is the same on every architecture).
/// </summary>
public static class FileTypes
{
    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const uint StatxInode = 0x100;
    private const int StatxModeOffset = 28;
    private const int StatxInodeOffset = 32;
    private const int StatxDeviceMajorOffset = 136;
    private const int StatxDeviceMinorOffset = 140;
    private const int StatxBufferSize = 256;
    private const int NoSuchEntry = 2;
    private const int NotADirectory = 20;

    private static bool nativeUnavailable = !OperatingSystem.IsLinux();

    /// <summary>One statx buffer per thread: a scan of a million files should not allocate a million buffers.</summary>
    [ThreadStatic]
    private static byte[]? statxBuffer;

    /// <summary>The type of <paramref name="path"/> itself (a symbolic link is reported as one, not followed).</summary>
    public static FileType Of(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!nativeUnavailable)
        {
            try
            {
                return OfNative(path);
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                nativeUnavailable = true; // an old C library without statx: the managed answer below
            }
        }

        return OfManaged(path);
    }

    /// <summary>The type of what <paramref name="path"/> leads to, symbolic links followed (a dangling link is <see cref="FileType.Missing"/>).</summary>
    public static FileType Resolved(string path)
    {
        var type = Of(path);
        if (type != FileType.SymbolicLink)
        {
            return type;
        }

        try
        {
            var target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true);
            return target is null ? FileType.Missing : Of(target.FullName);
        }
        catch (IOException)
        {
            return FileType.Missing; // a loop of links leads nowhere
        }
    }

    /// <summary>
    /// <paramref name="path"/> with every symbolic link on the way resolved (what <c>realpath</c> gives; parts that do
    /// not exist yet are kept as written). Two paths name the same place exactly when these are equal.
    /// </summary>
    public static string Canonical(string path)
    {
        const int MaxLinks = 40; // as Linux: more is a loop
        var pending = new Stack<string>(Path.GetFullPath(path).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = Path.GetPathRoot(Path.GetFullPath(path)) ?? "/";
        var root = current;
        var links = 0;
        while (pending.TryPop(out var part))
        {
            var next = Path.Combine(current, part);
            if (links < MaxLinks && Of(next) == FileType.SymbolicLink && new FileInfo(next).LinkTarget is { } target)
            {
                links++;
                foreach (var resolvedPart in Path.GetFullPath(target, current).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse())
                {
                    pending.Push(resolvedPart);
                }

                current = root;
                continue;
            }

            current = next;
        }

        return current;
    }

    /// <summary>
    /// What makes two paths the same file (links followed): <c>device:inode</c> on Linux, so hard links, file links
    /// and one file reached twice are told apart from copies; elsewhere the fully resolved path (hard links then
    /// look like two files).
    /// </summary>
    public static string Identity(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!nativeUnavailable)
        {
            try
            {
                var buffer = statxBuffer ??= new byte[StatxBufferSize];
                if (Native.statx(AtCurrentDirectory, path, 0, StatxInode, buffer) == 0)
                {
                    // statx lays its buffer out the same on every architecture, unlike struct stat.
                    var inode = BitConverter.ToUInt64(buffer, StatxInodeOffset);
                    var major = BitConverter.ToUInt32(buffer, StatxDeviceMajorOffset);
                    var minor = BitConverter.ToUInt32(buffer, StatxDeviceMinorOffset);
                    return $"{major}:{minor}:{inode}";
                }
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                nativeUnavailable = true;
            }
        }

        try
        {
            return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
        }
        catch (IOException)
        {
            return Path.GetFullPath(path);
        }
    }

    /// <summary>"a character device", "a folder", ...: for messages.</summary>
    public static string Describe(FileType type) => type switch
    {
        FileType.Missing => "missing",
        FileType.Regular => "a regular file",
        FileType.Directory => "a folder",
        FileType.SymbolicLink => "a symbolic link",
        FileType.CharacterDevice => "a character device",
        FileType.BlockDevice => "a block device",
        FileType.NamedPipe => "a named pipe",
        FileType.Socket => "a socket",
        _ => "not a regular file",
    };

    private static FileType OfNative(string path)
    {
        var buffer = statxBuffer ??= new byte[StatxBufferSize];
        if (Native.statx(AtCurrentDirectory, path, AtSymlinkNoFollow, StatxType, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is NoSuchEntry or NotADirectory ? FileType.Missing : OfManaged(path);
        }

        var mode = BitConverter.ToUInt16(buffer, StatxModeOffset); // the kernel writes it in the machine's byte order
        return (mode & 0xF000) switch
        {
            0x8000 => FileType.Regular,
            0x4000 => FileType.Directory,
            0xA000 => FileType.SymbolicLink,
            0x2000 => FileType.CharacterDevice,
            0x6000 => FileType.BlockDevice,
            0x1000 => FileType.NamedPipe,
            0xC000 => FileType.Socket,
            _ => FileType.Unknown,
        };
    }

    /// <summary>Without statx: links and folders are told apart; devices and pipes cannot be, and count as files.</summary>
    private static FileType OfManaged(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            return FileType.SymbolicLink;
        }

        return Directory.Exists(path) ? FileType.Directory : info.Exists ? FileType.Regular : FileType.Missing;
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Interoperability", "SYSLIB1054", Justification = "LibraryImport needs unsafe code, which the build keeps off; a byte[] and a UTF-8 string marshal without it.")]
        public static extern int statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
    }
}
