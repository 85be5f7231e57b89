using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Files;
namespace ImageWorkbench.Pipeline.Data;

/// <summary>
/// Lists the images under class folders. Hidden entries (dot names or the hidden attribute) and files with other
/// extensions are ignored; class folders may nest sub-folders. Paths come back in ordinal order, independent of the
/// file system's listing order.
/// <para>
/// Links and labels: the label of an image is the class folder it physically sits in, so no symbolic link to a
/// folder is followed below the data folder (the data folder itself may be a link). <c>disc/more -&gt; ../stripes</c>
/// would count stripes as disc and <c>disc/up -&gt; ..</c> every class as disc; such links are noted and left out.
/// Links to files are followed (a data set may be assembled from links into a photo library), but every image is
/// identified by its device and inode, so one file reached twice (two links, a link and its target, hard links)
/// counts once: under one class it is kept once, under two classes (or in train under one class and test under
/// another) it is left out everywhere, because its label is ambiguous. Each left-out copy is counted as skipped.
/// </para>
/// <para>
/// A folder that cannot be listed (permission denied, path too long, I/O error) is reported as unreadable and
/// counted as one skipped entry, never as "holds no images".
/// </para>
/// </summary>
internal sealed class FolderScanner
{
    /// <summary>Nesting deeper than this is not read: real folders this deep are a generator gone wrong, not a data set.</summary>
    private const int MaxDepth = 32;

    private static readonly EnumerationOptions ListOptions = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = false, // an unreadable folder must be reported, not listed as empty
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    private readonly DataWarnings _warnings;

    /// <summary>Every image found, in scan order, with the class it was found under (for the shared-file check).</summary>
    private readonly List<Found> _found = [];

    /// <summary>The class maps handed out, so <see cref="DropSharedFiles"/> can take files back out of them.</summary>
    private readonly List<SortedDictionary<string, List<string>>> _scans = [];

    public FolderScanner(DataWarnings warnings)
    {
        _warnings = warnings;
    }

    /// <summary>
    /// Test seam: a listing failure to raise for a folder (e.g. <see cref="UnauthorizedAccessException"/>), because
    /// tests run as root in CI, where <c>chmod 000</c> does not stop reading. Null in production.
    /// </summary>
    internal static Func<string, Exception?>? ListingFaultForTests { get; set; }

    /// <summary>Entries left out and counted as bad: broken links, second copies of one file, unreadable folders.</summary>
    public int SkippedCount { get; private set; }

    /// <summary>The visible real sub-folders of <paramref name="folder"/> (links to folders are not included), in ordinal order.</summary>
    public static List<string> VisibleSubfolders(string folder)
    {
        var result = new List<string>();
        foreach (FileSystemInfo entry in List(folder))
        {
            if (entry is DirectoryInfo && !IsHidden(entry) && !IsLink(entry))
            {
                result.Add(entry.FullName);
            }
        }

        result.Sort(StringComparer.Ordinal);
        return result;
    }

    /// <summary>Class name -> its image files (ordinal order), for every visible sub-folder of <paramref name="root"/> that holds images.</summary>
    public SortedDictionary<string, List<string>> ScanClasses(string root)
    {
        var classes = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        _scans.Add(classes);
        List<FileSystemInfo> entries;
        try
        {
            entries = [.. List(root)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"{root}: cannot read this folder: {Reason(e)}", e);
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (FileSystemInfo entry in entries)
        {
            if (entry is not DirectoryInfo || Unreadable(entry) || IsHidden(entry))
            {
                continue; // a data folder near PATH_MAX is not worth a message of its own: its classes would not load either
            }

            if (IsLink(entry))
            {
                NoteLinkNotFollowed(entry);
                continue;
            }

            var files = new List<string>();
            if (!Walk(entry.FullName, Path.GetFileName(entry.FullName), files, 0))
            {
                continue; // unreadable: reported and counted by Walk
            }

            if (files.Count == 0)
            {
                _warnings.Note(entry.FullName, "holds no images; not taken as a class", "a folder holds no images; not taken as a class");
                continue;
            }

            files.Sort(StringComparer.Ordinal);
            classes[entry.Name] = files;
        }

        return classes;
    }

    /// <summary>
    /// Applies the one-file-one-label rule over every scan so far (train and test alike): a file found more than once
    /// is kept once when all copies have the same class (the copy in the first scan, first in ordinal order), and
    /// dropped everywhere when they disagree. Classes left without images are removed with a note.
    /// </summary>
    public void DropSharedFiles()
    {
        var drop = new HashSet<(int Scan, string Path)>();
        foreach (var copies in _found.GroupBy(f => f.Identity, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var ordered = copies.OrderBy(c => c.Scan).ThenBy(c => c.Path, StringComparer.Ordinal).ToList();
            bool oneClass = ordered.All(c => c.Class == ordered[0].Class);
            foreach (Found copy in oneClass ? ordered.Skip(1) : ordered)
            {
                drop.Add((copy.Scan, copy.Path));
                SkippedCount++;
                if (oneClass)
                {
                    _warnings.Skip(copy.Path, $"the same file as {ordered[0].Path} (a link or hard link to it); counted once", "the same file reached twice (a link or hard link); counted once");
                }
                else
                {
                    Found other = ordered.First(c => c.Class != copy.Class);
                    _warnings.Skip(copy.Path, $"the same file is also class '{other.Class}' ({other.Path}); a file with two labels is left out", "the same file under two classes; left out");
                }
            }
        }

        if (drop.Count == 0)
        {
            return;
        }

        for (int scan = 0; scan < _scans.Count; scan++)
        {
            foreach ((string cls, List<string> files) in _scans[scan].ToList())
            {
                files.RemoveAll(f => drop.Contains((scan, f)));
                if (files.Count == 0)
                {
                    _scans[scan].Remove(cls);
                    _warnings.Note($"class '{cls}'", "has no images left once files shared with other classes are left out");
                }
            }
        }
    }

    /// <summary>Adds the images under <paramref name="dir"/> (real folders only); false when the folder itself cannot be listed.</summary>
    private bool Walk(string dir, string cls, List<string> files, int depth)
    {
        if (depth > MaxDepth)
        {
            _warnings.Note(dir, $"not read: nested more than {MaxDepth} folders deep", $"a folder nested more than {MaxDepth} folders deep is not read");
            return true;
        }

        List<FileSystemInfo> entries;
        try
        {
            entries = [.. List(dir)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            SkippedCount++;
            _warnings.Skip(dir, $"cannot read this folder ({Reason(e)}); its images are left out, counted as one unreadable entry", "a folder cannot be read; counted as one unreadable entry");
            return false;
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (FileSystemInfo entry in entries)
        {
            if (Unreadable(entry))
            {
                // Its status could not be read (a path past PATH_MAX, or it vanished): .NET then reports attributes
                // of -1, which look "hidden", so without this check it would disappear without a word.
                SkippedCount++;
                _warnings.Skip(Path.Join(dir, entry.Name), "cannot be read (its path is too long, or it vanished while listed); counted as one unreadable entry", "an entry cannot be read; counted as one unreadable entry");
                continue;
            }

            if (IsHidden(entry))
            {
                continue;
            }

            if (entry is DirectoryInfo)
            {
                if (IsLink(entry))
                {
                    NoteLinkNotFollowed(entry);
                }
                else
                {
                    Walk(entry.FullName, cls, files, depth + 1);
                }

                continue;
            }

            if (!ClassFoldersFormat.ImageExtensions.Contains(Path.GetExtension(entry.Name)))
            {
                continue;
            }

            if (IsLink(entry) && !LinkResolves(entry))
            {
                SkippedCount++;
                _warnings.Skip(entry.FullName, $"broken symbolic link (to {LinkTarget(entry)})", "broken symbolic link");
                continue;
            }

            files.Add(entry.FullName);
            _found.Add(new Found(entry.FullName, cls, _scans.Count - 1, FileTypes.Identity(entry.FullName)));
        }

        return true;
    }

    private void NoteLinkNotFollowed(FileSystemInfo link) =>
        _warnings.Note(link.FullName, $"symbolic link to a folder (to {LinkTarget(link)}); not followed: an image's class is the folder it sits in", "a symbolic link to a folder is not followed (an image's class is the folder it sits in)");

    private static bool Unreadable(FileSystemInfo entry) => (int)entry.Attributes == -1 || entry.FullName.Length == 0;

    /// <summary>From the listing itself (no system call): reading the link can fail, e.g. on a path longer than PATH_MAX.</summary>
    private static bool IsLink(FileSystemInfo entry) => (entry.Attributes & FileAttributes.ReparsePoint) != 0;

    private static string LinkTarget(FileSystemInfo link)
    {
        try
        {
            return link.LinkTarget ?? "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static IEnumerable<FileSystemInfo> List(string folder)
    {
        if (ListingFaultForTests?.Invoke(folder) is { } fault)
        {
            throw fault;
        }

        return new DirectoryInfo(folder).EnumerateFileSystemInfos("*", ListOptions);
    }

    private static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        PathTooLongException => "path too long",
        _ => e.Message,
    };

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

    private readonly record struct Found(string Path, string Class, int Scan, string Identity);
}
