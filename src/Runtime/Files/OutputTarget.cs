using System.Text;

namespace ImageWorkbench.Runtime.Files;

/// <summary>An output path that must not be written: a device, a link, a folder where a file goes, inside the input.</summary>
public sealed class OutputPathException : WorkbenchException
{
    public OutputPathException()
    {
    }

    public OutputPathException(string message)
        : base(message)
    {
    }

    public OutputPathException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Checks on a path the user named for writing. Outputs are written beside the target and renamed over it, and a
/// rename replaces whatever entry has that name: a device node (<c>/dev/null</c>), a symbolic link (the link,
/// not its target), a named pipe. So the target must be absent or a regular file (a folder output: absent or a
/// folder), never a symbolic link; the folders above it may be reached through links (as <c>/tmp</c> is on some
/// systems) but must lead to a folder. Commands run these checks before any long work, and the writers again
/// just before the rename.
/// </summary>
public static class OutputTarget
{
    /// <summary>Longest file name in bytes (Linux NAME_MAX, ext4 and most others).</summary>
    public const int MaxNameBytes = 255;

    /// <summary>Checks a file output; returns its full path.</summary>
    public static string CheckFile(string path)
    {
        var full = FullPath(path);
        if (Path.EndsInDirectorySeparator(path))
        {
            throw new OutputPathException($"{path}: ends with '{Path.DirectorySeparatorChar}', so it names a folder; name a file");
        }

        var nameBytes = Encoding.UTF8.GetByteCount(Path.GetFileName(full));
        if (nameBytes > MaxNameBytes)
        {
            throw new OutputPathException($"{path}: the file name is {nameBytes} bytes; file systems allow at most {MaxNameBytes}");
        }

        CheckKind(path, full, FileType.Regular);
        return full;
    }

    /// <summary>Checks a folder output (a trailing separator is fine); returns its full path without one.</summary>
    public static string CheckFolder(string path)
    {
        var full = FullPath(path);
        var trimmed = Path.TrimEndingDirectorySeparator(full);
        full = trimmed.Length == 0 ? full : trimmed;
        CheckKind(path, full, FileType.Directory);
        return full;
    }

    /// <summary>
    /// Checks that <paramref name="path"/> (inside <paramref name="root"/>) is reached through real folders only: a
    /// sub-folder such as <c>images/</c> that is a link would carry the write outside the folder the user named.
    /// </summary>
    public static void CheckNoLinkBelow(string root, string path)
    {
        var relative = Path.GetRelativePath(root, path);
        var folder = root;
        var parts = relative.Split(Path.DirectorySeparatorChar);
        for (var i = 0; i < parts.Length - 1; i++)
        {
            folder = Path.Combine(folder, parts[i]);
            var type = FileTypes.Of(folder);
            if (type is not (FileType.Directory or FileType.Missing))
            {
                throw new OutputPathException($"{folder}: is {FileTypes.Describe(type)}, not a folder; refusing to write {Path.GetFileName(path)} through it");
            }
        }
    }

    /// <summary>
    /// Before any long work, for a file output: the checks of <see cref="CheckFile"/>, and when its folder exists, a
    /// probe file created and deleted there (a read-only folder is reported now, not after the run).
    /// </summary>
    public static string CheckFileWritable(string path)
    {
        var full = CheckFile(path);
        var folder = Path.GetDirectoryName(full)!;
        if (FileTypes.Resolved(folder) == FileType.Directory)
        {
            var probe = Path.Combine(folder, TempName(Path.GetFileName(full)));
            try
            {
                new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose).Dispose();
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                throw new OutputPathException($"{path}: cannot be written: cannot create a file in {folder} ({ex.Message})", ex);
            }
        }

        return full;
    }

    /// <summary>
    /// Refuses an output equal to or inside <paramref name="input"/> (a data set, a model): writing there would change
    /// the input itself (a report folder inside a folder-per-class data set becomes a class of its pictures).
    /// </summary>
    public static void CheckNotInside(string output, string input, string inputRole)
    {
        ArgumentException.ThrowIfNullOrEmpty(output);
        ArgumentException.ThrowIfNullOrEmpty(input);
        // through links too: --data link-to-D with --out D/report is still inside the data set
        var outputFull = Path.TrimEndingDirectorySeparator(FileTypes.Canonical(output));
        var inputFull = Path.TrimEndingDirectorySeparator(FileTypes.Canonical(input));
        if (string.Equals(outputFull, inputFull, StringComparison.Ordinal))
        {
            throw new OutputPathException($"{output}: is the {inputRole} itself; write the output somewhere else");
        }

        if (outputFull.StartsWith(inputFull + Path.DirectorySeparatorChar, StringComparison.Ordinal) && Directory.Exists(inputFull))
        {
            throw new OutputPathException($"{output}: is inside the {inputRole} {input}; writing there would change it; write the output somewhere else");
        }
    }

    /// <summary>
    /// A hidden name for a temp file or folder beside <paramref name="name"/>: <c>.NAME.PID.RANDOM.tmp</c>, with NAME cut
    /// (at a character boundary) so the whole stays within <see cref="MaxNameBytes"/> UTF-8 bytes whatever the target's name.
    /// </summary>
    public static string TempName(string name, string suffix = "tmp")
    {
        ArgumentNullException.ThrowIfNull(name);
        var tail = $".{Environment.ProcessId}.{Guid.NewGuid():N}.{suffix}";
        var budget = MaxNameBytes - 1 - Encoding.UTF8.GetByteCount(tail);
        var kept = new StringBuilder(name.Length);
        var used = 0;
        foreach (var rune in name.EnumerateRunes())
        {
            used += rune.Utf8SequenceLength;
            if (used > budget)
            {
                break;
            }

            kept.Append(rune.ToString());
        }

        return "." + kept + tail;
    }

    private static string FullPath(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new OutputPathException("the output path is empty");
        }

        try
        {
            return Path.GetFullPath(path);
        }
        catch (ArgumentException ex)
        {
            throw new OutputPathException($"{path}: not a usable path ({ex.Message})", ex);
        }
    }

    /// <summary>The target is absent or <paramref name="wanted"/> (never a link, device or pipe), and the folder above it is a folder.</summary>
    private static void CheckKind(string path, string full, FileType wanted)
    {
        var type = FileTypes.Of(full);
        if (type != FileType.Missing && type != wanted)
        {
            var noun = wanted == FileType.Directory ? "folder" : "file";
            throw new OutputPathException(type switch
            {
                FileType.Directory => $"{path}: is a folder; name a file to write",
                FileType.Regular => $"{path}: is a file, not a folder; name a folder to write into",
                FileType.SymbolicLink => $"{path}: is a symbolic link (to {new FileInfo(full).LinkTarget}); outputs are never written through a link or over one: name the {noun} itself",
                _ => $"{path}: is {FileTypes.Describe(type)}, not a {(wanted == FileType.Directory ? "folder" : "regular file")}; refusing to replace it",
            });
        }

        CheckParent(path, full);
    }

    /// <summary>The nearest existing folder above the target must be a folder once links are followed (a device, a file, a dangling link is not).</summary>
    private static void CheckParent(string path, string full)
    {
        for (var folder = Path.GetDirectoryName(full); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            var type = FileTypes.Resolved(folder);
            if (type == FileType.Directory)
            {
                return;
            }

            if (type != FileType.Missing || FileTypes.Of(folder) == FileType.SymbolicLink)
            {
                var what = type == FileType.Missing ? "a symbolic link to nothing" : FileTypes.Describe(type);
                throw new OutputPathException($"{path}: cannot be written: {folder} is {what}, not a folder");
            }
        }
    }
}
