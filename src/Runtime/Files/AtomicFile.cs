using System.Globalization;

namespace ImageWorkbench.Runtime.Files;

/// <summary>Writes files so that readers see either the old file or the complete new one, never half of one.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Tests only: wraps the stream of every file written on this logical call chain (an <see cref="AsyncLocal{T}"/>,
    /// so parallel tests do not see each other's). A wrapper that throws <see cref="IOException"/> part-way is how the
    /// tests make the disk run full at a chosen point, in CI, without root or a small file system.
    /// </summary>
    internal static readonly AsyncLocal<Func<string, Stream, Stream>?> TestWriteInterceptor = new();

    /// <summary>
    /// Writes through <paramref name="write"/> into a temp file beside <paramref name="path"/>, flushes it to disk, then
    /// renames it over <paramref name="path"/>. The target is checked (<see cref="OutputTarget.CheckFile"/>) before the
    /// write and again just before the rename: a device, a link or a folder there is refused, never replaced.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var fullPath = OutputTarget.CheckFile(path);
        var folder = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, OutputTarget.TempName(Path.GetFileName(fullPath)));
        DeleteLeftoversOfKilledRuns(folder, Path.GetFileName(temp));
        FileStream file;
        try
        {
            file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new OutputPathException($"{path}: cannot be written: no permission to create a file in {folder}", ex);
        }

        try
        {
            using (var stream = file)
            {
                var target = TestWriteInterceptor.Value?.Invoke(fullPath, stream) ?? stream;
                write(target);
                target.Flush();
                stream.Flush(flushToDisk: true);
            }

            OutputTarget.CheckFile(path); // what was checked before the work may have changed during it
            File.Move(temp, fullPath, overwrite: true);
        }
        catch (IOException ex) when (ex is not (FileNotFoundException or DirectoryNotFoundException))
        {
            // A full disk or an I/O error: .NET's message names our hidden temp file; the user named the output.
            TryDelete(temp);
            var reason = ex.Message.Replace($" : '{temp}'", string.Empty, StringComparison.Ordinal).Replace(temp, "a temp file", StringComparison.Ordinal);
            throw new OutputPathException($"{StagedFolder.UserFacingPath(fullPath)}: could not be written ({reason}); it was left as it was", ex);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// A killed run (SIGKILL, power loss) leaves its temp file beside the target, up to the whole model (59 MB for a
    /// CNN): the next write of the same target deletes the temp files of that name whose process is gone. Only names
    /// of exactly our form (<c>.NAME.PID.32-hex.tmp</c>) and only regular files are touched.
    /// </summary>
    private static void DeleteLeftoversOfKilledRuns(string folder, string ourTemp)
    {
        var pidAt = ourTemp.LastIndexOf($".{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.", StringComparison.Ordinal);
        var prefix = ourTemp[..(pidAt + 1)];
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(folder, "*.tmp").Where(f => Path.GetFileName(f).StartsWith(prefix, StringComparison.Ordinal)).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return; // best effort: the write itself reports a folder it cannot use
        }

        foreach (var candidate in candidates)
        {
            var rest = Path.GetFileName(candidate).AsSpan(prefix.Length); // PID.32-hex.tmp
            var dot = rest.IndexOf('.');
            if (dot > 0 && rest.Length == dot + 1 + 32 + 4 && rest.EndsWith(".tmp", StringComparison.Ordinal)
                && int.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && !rest.Slice(dot + 1, 32).ContainsAnyExcept("0123456789abcdef")
                && !ProcessLiveness.IsRunning(pid)
                && FileTypes.Of(candidate) == FileType.Regular)
            {
                TryDelete(candidate);
            }
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, stream => stream.Write(copy));
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
