namespace ImageWorkbench.Runtime.Files;

/// <summary>
/// An output folder that changes all at once or not at all. Files are written into a hidden staging folder inside
/// the target (<c>.pipeline-staging-*</c>: same file system, so moving them in is a rename, and nothing is written
/// outside the folder the user named); <see cref="Commit"/> then moves the previous versions of the same names aside,
/// renames the new files in, and only then deletes the previous versions; a failure part-way puts every previous
/// file back. Files in the folder that the run did not write are left alone, except those the caller marks as its
/// own stale output (<see cref="RemoveOnCommit"/>). Disposing without a commit (an error, Ctrl+C) deletes the
/// staging folder, and the target folder too when this run created it and it is empty.
/// While it is open the folder is locked (<c>.pipeline.lock</c>, an exclusive lock the OS releases when the
/// process ends, even on SIGKILL), so a second run writing the same folder fails at once instead of mixing files.
/// </summary>
public sealed class StagedFolder : IDisposable
{
    private const string LockName = ".pipeline.lock";
    private const string StagingPrefix = ".pipeline-staging-";
    private const string BackupPrefix = ".pipeline-backup-";

    private readonly List<string> staged = [];
    private readonly List<(string Subfolder, Func<string, bool> IsOwned)> staleRules = [];
    private readonly string? createdTop;
    private FileStream? lockFile;
    private bool committed;

    private StagedFolder(string folder, string? createdTop)
    {
        Folder = folder;
        this.createdTop = createdTop;
        try
        {
            lockFile = TakeLock(folder);
            RecoverAbandoned(folder);
            StagingPath = Path.Combine(folder, StagingPrefix + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(StagingPath);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The folder the user named (full path).</summary>
    public string Folder { get; }

    /// <summary>Where the files are written until <see cref="Commit"/>.</summary>
    public string StagingPath { get; } = "";

    /// <summary>Checks <paramref name="folder"/> (<see cref="OutputTarget.CheckFolder"/>), creates it if absent, locks it and opens a staging folder in it.</summary>
    public static StagedFolder Begin(string folder)
    {
        var full = OutputTarget.CheckFolder(folder);
        string? createdTop = null;
        for (var dir = full; dir is not null && FileTypes.Resolved(dir) == FileType.Missing; dir = Path.GetDirectoryName(dir))
        {
            createdTop = dir;
        }

        Directory.CreateDirectory(full);
        return new StagedFolder(full, createdTop);
    }

    /// <summary>The staging path of <paramref name="relativePath"/> (e.g. <c>images/a.png</c>); its folder is created. Files are committed in the order of these calls.</summary>
    public string Stage(string relativePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(relativePath);
        var normalized = relativePath.Replace('\\', '/');
        if (Path.IsPathRooted(normalized) || normalized.Split('/').Any(part => part is "" or "." or ".."))
        {
            throw new ArgumentException($"'{relativePath}' is not a plain relative path", nameof(relativePath));
        }

        var path = Path.Combine(StagingPath, normalized);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!staged.Contains(normalized, StringComparer.Ordinal))
        {
            staged.Add(normalized);
        }

        return path;
    }

    /// <summary>Where <paramref name="relativePath"/> will be after the commit.</summary>
    public string Final(string relativePath) => Path.Combine(Folder, relativePath);

    /// <summary>
    /// The path a user will know <paramref name="path"/> by: a file inside a staging folder is named where it will
    /// land (<c>out/.pipeline-staging-123-abc/report.md</c> is <c>out/report.md</c>); any other path is returned as is.
    /// For messages: a failure names the output the user asked for, not our hidden staging copy.
    /// </summary>
    public static string UserFacingPath(string path)
    {
        var parts = path.Split(Path.DirectorySeparatorChar);
        var staging = Array.FindLastIndex(parts, p => p.StartsWith(StagingPrefix, StringComparison.Ordinal));
        return staging < 0 ? path : string.Join(Path.DirectorySeparatorChar, parts.Where((_, i) => i != staging));
    }

    /// <summary>
    /// Refuses <paramref name="output"/>, another output of the same run (e.g. <c>compare --readme</c>), when the commit
    /// would replace it with a staged file: the run would report a failure after the folder changed, and the file the
    /// user named would be lost. Call it before <see cref="Commit"/>.
    /// </summary>
    public void CheckNotStaged(string output, string role)
    {
        foreach (var relative in staged)
        {
            OutputTarget.CheckNotInside(output, Final(relative), role);
        }
    }

    /// <summary>At the commit, files directly in <paramref name="subfolder"/> ("" for the folder itself) that this run did not write and that <paramref name="isOwned"/> (given the name) calls this tool's own output are removed; the subfolder too if that leaves it empty.</summary>
    public void RemoveOnCommit(string subfolder, Func<string, bool> isOwned)
    {
        ArgumentNullException.ThrowIfNull(subfolder);
        ArgumentNullException.ThrowIfNull(isOwned);
        staleRules.Add((subfolder, isOwned));
    }

    /// <summary>Moves the staged files into the folder: all of them, or (on a failure) none.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(lockFile is null, this);
        if (committed)
        {
            throw new InvalidOperationException("already committed");
        }

        var writtenFiles = staged.Where(r => File.Exists(Path.Combine(StagingPath, r))).ToList();
        foreach (var relative in writtenFiles)
        {
            // the same rule as a single file: never replace a device, a link or a folder that sits where an output goes
            OutputTarget.CheckNoLinkBelow(Folder, Final(relative));
            OutputTarget.CheckFile(Final(relative));
        }

        var stale = StaleFiles(writtenFiles);
        var backup = Path.Combine(Folder, BackupPrefix + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N"));
        var movedAside = new List<string>();
        var movedIn = new List<string>();
        var createdFolders = new List<string>();
        try
        {
            Directory.CreateDirectory(backup);
            foreach (var relative in stale)
            {
                MoveAside(relative, backup, movedAside);
            }

            foreach (var relative in writtenFiles)
            {
                var final = Final(relative);
                if (File.Exists(final))
                {
                    MoveAside(relative, backup, movedAside);
                }

                var parent = Path.GetDirectoryName(final)!;
                if (!Directory.Exists(parent))
                {
                    Directory.CreateDirectory(parent);
                    createdFolders.Add(parent);
                }

                File.Move(Path.Combine(StagingPath, relative), final);
                movedIn.Add(relative);
            }
        }
        catch
        {
            RollBack(backup, movedAside, movedIn, createdFolders);
            throw;
        }

        committed = true;
        TryDeleteTree(backup);
        foreach (var (subfolder, _) in staleRules)
        {
            var path = Path.Combine(Folder, subfolder);
            if (subfolder.Length > 0 && Directory.Exists(path) && !Directory.EnumerateFileSystemEntries(path).Any())
            {
                TryDeleteEmptyFolder(path);
            }
        }
    }

    /// <summary>Without a commit: removes what this run wrote and leaves the folder as it was.</summary>
    public void Dispose()
    {
        if (StagingPath.Length > 0)
        {
            TryDeleteTree(StagingPath);
        }

        if (lockFile is not null)
        {
            lockFile.Dispose(); // DeleteOnClose: the lock file goes with the handle
            lockFile = null;
        }

        if (!committed && createdTop is not null)
        {
            // remove the folders this run created, innermost first, as long as they are empty
            for (var dir = Folder; dir is not null && dir.Length >= createdTop.Length; dir = Path.GetDirectoryName(dir))
            {
                if (!TryDeleteEmptyFolder(dir))
                {
                    break;
                }
            }
        }
    }

    private static FileStream TakeLock(string folder)
    {
        var path = Path.Combine(folder, LockName);
        OutputTarget.CheckFile(path);
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix; a second open fails at once.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException ex) when (File.Exists(path))
        {
            throw new OutputPathException($"{folder}: another pipeline run is writing to this folder (it holds {LockName}); wait for it to finish or choose another --out", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new OutputPathException($"{folder}: cannot write in this folder ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// Under the lock no other run is using this folder, so staging and backup folders found here were left by a run
    /// that was killed. Staging: deleted. Backup (killed during a commit, a window of a few renames): previous files
    /// whose name is now empty are put back, the rest deleted.
    /// </summary>
    private static void RecoverAbandoned(string folder)
    {
        foreach (var dir in Directory.EnumerateDirectories(folder, ".pipeline-*"))
        {
            var name = Path.GetFileName(dir);
            if (FileTypes.Of(dir) != FileType.Directory)
            {
                continue;
            }

            if (name.StartsWith(BackupPrefix, StringComparison.Ordinal))
            {
                foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
                {
                    var final = Path.Combine(folder, Path.GetRelativePath(dir, file));
                    if (FileTypes.Of(final) == FileType.Missing && !HasLinkBelow(folder, final))
                    {
                        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
                        File.Move(file, final);
                    }
                }

                TryDeleteTree(dir);
            }
            else if (name.StartsWith(StagingPrefix, StringComparison.Ordinal))
            {
                TryDeleteTree(dir);
            }
        }
    }

    private static bool HasLinkBelow(string folder, string path)
    {
        try
        {
            OutputTarget.CheckNoLinkBelow(folder, path);
            return false;
        }
        catch (OutputPathException)
        {
            return true; // a folder on the way became a link since: never put a file back through it
        }
    }

    private List<string> StaleFiles(List<string> written)
    {
        var writtenSet = new HashSet<string>(written, StringComparer.Ordinal);
        var stale = new List<string>();
        foreach (var (subfolder, isOwned) in staleRules)
        {
            var path = Path.Combine(Folder, subfolder);
            if (FileTypes.Of(path) != FileType.Directory)
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(path))
            {
                var name = Path.GetFileName(file);
                var relative = subfolder.Length == 0 ? name : subfolder.TrimEnd('/') + "/" + name;
                if (!writtenSet.Contains(relative) && isOwned(name) && FileTypes.Of(file) == FileType.Regular)
                {
                    stale.Add(relative);
                }
            }
        }

        return stale;
    }

    private void MoveAside(string relative, string backup, List<string> movedAside)
    {
        var aside = Path.Combine(backup, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(aside)!);
        File.Move(Final(relative), aside);
        movedAside.Add(relative);
    }

    /// <summary>Undoes a commit that failed part-way: new files back to staging, previous files back in place.</summary>
    private void RollBack(string backup, List<string> movedAside, List<string> movedIn, List<string> createdFolders)
    {
        foreach (var relative in Enumerable.Reverse(movedIn))
        {
            TryRun(() => File.Move(Final(relative), Path.Combine(StagingPath, relative), overwrite: true));
        }

        foreach (var relative in Enumerable.Reverse(movedAside))
        {
            TryRun(() => File.Move(Path.Combine(backup, relative), Final(relative)));
        }

        foreach (var folder in Enumerable.Reverse(createdFolders))
        {
            TryDeleteEmptyFolder(folder);
        }

        TryDeleteTree(backup);
    }

    private static void TryRun(Action action)
    {
        try
        {
            action();
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void TryDeleteTree(string path)
    {
        // only our own hidden folders come here; a link is removed as a link, never followed
        if (FileTypes.Of(path) == FileType.Directory)
        {
            TryRun(() => Directory.Delete(path, recursive: true));
        }
    }

    private static bool TryDeleteEmptyFolder(string path)
    {
        try
        {
            if (FileTypes.Of(path) != FileType.Directory || Directory.EnumerateFileSystemEntries(path).Any())
            {
                return false;
            }

            Directory.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
