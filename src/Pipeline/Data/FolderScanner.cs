namespace Pipeline.Data;

/// <summary>
/// Lists the images under class folders. Hidden entries (dot names or the hidden attribute) and files with other
/// extensions are ignored; class folders may nest sub-folders. Symbolic links are followed, but every real folder
/// is read at most once per load (keyed by its fully resolved path), so link loops end and an image reachable by
/// two routes is listed once. Paths come back in ordinal order, independent of the file system's listing order.
/// </summary>
internal sealed class FolderScanner
{
    /// <summary>Nesting deeper than this is taken as a loop the resolver could not see and is not followed.</summary>
    private const int MaxDepth = 32;

    /// <summary>Symbolic links followed while resolving one path before giving up (Linux uses 40).</summary>
    private const int MaxLinkHops = 40;

    private static readonly EnumerationOptions ListOptions = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = true,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    private readonly DataWarnings _warnings;
    private readonly HashSet<string> _visited = new(StringComparer.Ordinal);

    public FolderScanner(DataWarnings warnings)
    {
        _warnings = warnings;
    }

    /// <summary>Broken links met that looked like images (reported as skipped).</summary>
    public int BrokenCount { get; private set; }

    public static List<string> VisibleSubfolders(string folder)
    {
        var result = new DirectoryInfo(folder).EnumerateDirectories("*", ListOptions)
            .Where(d => !IsHidden(d))
            .Select(d => d.FullName)
            .ToList();
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    /// <summary>Class name -> its image files (ordinal order), for every visible sub-folder of <paramref name="root"/> that holds images.</summary>
    public SortedDictionary<string, List<string>> ScanClasses(string root)
    {
        var classes = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string dir in VisibleSubfolders(root))
        {
            var files = new List<string>();
            Walk(dir, files, 0);
            if (files.Count == 0)
            {
                _warnings.Note(dir, "holds no images; not taken as a class");
                continue;
            }

            files.Sort(StringComparer.Ordinal);
            classes[Path.GetFileName(dir)] = files;
        }

        return classes;
    }

    private void Walk(string dir, List<string> files, int depth)
    {
        string real;
        try
        {
            real = RealPath(dir);
        }
        catch (IOException e)
        {
            _warnings.Note(dir, $"not followed: {e.Message}");
            return;
        }

        if (!_visited.Add(real))
        {
            _warnings.Note(dir, $"not followed: {real} was already read (symbolic link loop or second link to it)");
            return;
        }

        if (depth > MaxDepth)
        {
            _warnings.Note(dir, $"not followed: nested more than {MaxDepth} folders deep");
            return;
        }

        var subdirs = new List<string>();
        foreach (FileSystemInfo entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", ListOptions))
        {
            if (IsHidden(entry))
            {
                continue;
            }

            if (entry is DirectoryInfo)
            {
                subdirs.Add(entry.FullName);
                continue;
            }

            if (!DatasetLoader.ImageExtensions.Contains(Path.GetExtension(entry.Name)))
            {
                continue;
            }

            if (entry.LinkTarget is string target && !LinkResolves(entry))
            {
                BrokenCount++;
                _warnings.Skip(entry.FullName, $"broken symbolic link (to {target})");
                continue;
            }

            files.Add(entry.FullName);
        }

        subdirs.Sort(StringComparer.Ordinal);
        foreach (string sub in subdirs)
        {
            Walk(sub, files, depth + 1);
        }
    }

    /// <summary>File.Exists is true for a dangling link on Unix (it falls back to the link itself), so resolve it.</summary>
    private static bool LinkResolves(FileSystemInfo link)
    {
        try
        {
            return link.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true };
        }
        catch (IOException)
        {
            return false; // a loop of file links
        }
    }

    private static bool IsHidden(FileSystemInfo entry) =>
        entry.Name.StartsWith('.') || (entry.Attributes & FileAttributes.Hidden) != 0;

    /// <summary>The path with every symbolic link in it resolved (like realpath(3)); throws IOException on a link loop.</summary>
    internal static string RealPath(string path)
    {
        int hops = 0;
        return Resolve(Path.GetFullPath(path), ref hops);
    }

    private static string Resolve(string full, ref int hops)
    {
        string root = Path.GetPathRoot(full) ?? string.Empty;
        string current = root;
        foreach (string part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(current, part);
            string? target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                throw new IOException("too many levels of symbolic links");
            }

            current = Resolve(Path.GetFullPath(target, current), ref hops);
        }

        return current;
    }
}
