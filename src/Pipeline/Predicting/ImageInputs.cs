using System.IO.Enumeration;
using System.Text;
using System.Text.RegularExpressions;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Predicting;

/// <summary>
/// Turns what a user names on the command line into image paths, lazily (a million files are never held as a list):
/// <list type="bullet">
/// <item>a folder: every image in it and below (<see cref="ClassFoldersFormat.ImageExtensions"/>), in ordinal name order
/// per folder, hidden entries and links to folders skipped;</item>
/// <item>a glob (<c>*</c>, <c>?</c>, <c>**</c> for any folders): the matching image files, in the same order;</item>
/// <item>a manifest, a <c>.txt</c> or <c>.lst</c> file of paths, one a line (blank lines and <c>#</c> comments skipped,
/// relative paths against the manifest's folder);</item>
/// <item>anything else: one image path, as given (a missing one becomes an error row, not a stop).</item>
/// </list>
/// </summary>
public static class ImageInputs
{
    /// <summary>Extensions of a manifest of paths (a text file, one path a line).</summary>
    public static IReadOnlySet<string> ManifestExtensions { get; } = new HashSet<string>([".txt", ".lst"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Longest manifest line read (characters): a path is at most 4,096 bytes on Linux.</summary>
    private const int MaxLineLength = 1 << 16;

    /// <summary>What <see cref="Directory.EnumerateFileSystemEntries(string)"/> lists: every entry, none skipped for its attributes, errors thrown.</summary>
    private static readonly EnumerationOptions ListingOptions = new() { AttributesToSkip = 0, IgnoreInaccessible = false };

    /// <summary>The image paths <paramref name="arguments"/> name, in order, enumerated lazily.</summary>
    /// <exception cref="DatasetException">A glob whose fixed folder does not exist, or a manifest that cannot be read.</exception>
    public static IEnumerable<string> Expand(IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        foreach (var argument in arguments)
        {
            foreach (var path in ExpandOne(argument))
            {
                yield return path;
            }
        }
    }

    /// <summary>Checks every argument that names a folder, glob or manifest can be read, before any work; returns nothing.</summary>
    public static void Check(IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        foreach (var argument in arguments)
        {
            if (IsGlob(argument) && FileTypes.Of(argument) == FileType.Missing)
            {
                var (root, _) = SplitGlob(argument);
                if (FileTypes.Of(root) != FileType.Directory)
                {
                    throw new DatasetException($"{argument}: the folder {root} the pattern starts from does not exist");
                }
            }
            else if (IsManifest(argument))
            {
                using var stream = FileChecks.OpenRegular(argument, "a manifest of image paths", out var refusal)
                    ?? throw new DatasetException($"{argument}: {refusal}");
            }
        }
    }

    public static bool IsManifest(string argument) =>
        ManifestExtensions.Contains(Path.GetExtension(argument)) && FileTypes.Of(argument) != FileType.Directory;

    private static bool IsGlob(string argument) => argument.AsSpan().IndexOfAny("*?") >= 0;

    private static IEnumerable<string> ExpandOne(string argument)
    {
        var type = FileTypes.Of(argument);
        if (type == FileType.Directory)
        {
            return Folder(argument);
        }

        if (type == FileType.Missing && IsGlob(argument))
        {
            return Glob(argument);
        }

        return IsManifest(argument) ? Manifest(argument) : [argument];
    }

    /// <summary>Images under <paramref name="folder"/>, depth first, names in ordinal order per folder; one folder's listing held at a time.</summary>
    private static IEnumerable<string> Folder(string folder, Regex? match = null)
    {
        var pending = new Stack<string>();
        pending.Push(folder);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            List<(string Path, bool MaybeFolder)> entries;
            try
            {
                // The listing's own entry types (d_type): a stat per file only for what may be a folder. A stat of
                // every entry cost a system call per image, in the counting pass and again in the predicting one.
                entries = [.. new FileSystemEnumerable<(string Path, bool MaybeFolder)>(current, static (ref FileSystemEntry e) => (e.ToSpecifiedFullPath(), e.IsDirectory), ListingOptions)
                {
                    ShouldIncludePredicate = static (ref FileSystemEntry e) => !e.FileName.StartsWith('.'),
                }];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new DatasetException($"{current}: the folder cannot be listed ({ex.Message})", ex);
            }

            entries.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
            var subfolders = new List<string>();
            foreach (var (entry, maybeFolder) in entries)
            {
                if (maybeFolder && FileTypes.Of(entry) == FileType.Directory)
                {
                    subfolders.Add(entry); // a link to a folder is not Directory: never followed, so no cycle
                }
                else if (ClassFoldersFormat.ImageExtensions.Contains(Path.GetExtension(entry)) && (match is null || match.IsMatch(Normalise(entry))))
                {
                    yield return entry;
                }
            }

            for (var i = subfolders.Count - 1; i >= 0; i--)
            {
                pending.Push(subfolders[i]);
            }
        }
    }

    private static IEnumerable<string> Glob(string pattern)
    {
        var (root, _) = SplitGlob(pattern);
        if (FileTypes.Of(root) != FileType.Directory)
        {
            throw new DatasetException($"{pattern}: the folder {root} the pattern starts from does not exist");
        }

        return Folder(root, GlobRegex(pattern));
    }

    /// <summary>The fixed folder a glob starts from (the segments before the first wildcard) and the rest.</summary>
    internal static (string Root, string Pattern) SplitGlob(string pattern)
    {
        var normal = Normalise(pattern);
        var wildcard = normal.AsSpan().IndexOfAny("*?");
        var slash = normal.LastIndexOf('/', Math.Max(0, wildcard));
        return slash < 0 ? (".", normal) : (slash == 0 ? "/" : normal[..slash], normal[(slash + 1)..]);
    }

    /// <summary><c>**</c> matches any folders (also none), <c>*</c> and <c>?</c> stay within one name.</summary>
    internal static Regex GlobRegex(string pattern)
    {
        var (root, rest) = SplitGlob(pattern);
        var regex = new StringBuilder("^").Append(Regex.Escape(root == "." ? string.Empty : root.TrimEnd('/') + "/"));
        for (var i = 0; i < rest.Length; i++)
        {
            var c = rest[i];
            if (c == '*' && i + 1 < rest.Length && rest[i + 1] == '*')
            {
                var slashAfter = i + 2 < rest.Length && rest[i + 2] == '/';
                regex.Append(slashAfter ? "(?:[^/]*/)*" : ".*");
                i += slashAfter ? 2 : 1;
            }
            else
            {
                regex.Append(c switch { '*' => "[^/]*", '?' => "[^/]", _ => Regex.Escape(c.ToString()) });
            }
        }

        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant);
    }

    private static string Normalise(string path)
    {
        var normal = path.Replace('\\', '/');
        return normal.StartsWith("./", StringComparison.Ordinal) ? normal[2..] : normal;
    }

    private static IEnumerable<string> Manifest(string manifest)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(manifest))!;
        var stream = FileChecks.OpenRegular(manifest, "a manifest of image paths", out var refusal) ?? throw new DatasetException($"{manifest}: {refusal}");
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length > MaxLineLength)
            {
                throw new DatasetException($"{manifest}: line {lineNumber} is {line.Length:N0} characters long, not a path");
            }

            var path = line.Trim();
            if (path.Length == 0 || path.StartsWith('#'))
            {
                continue;
            }

            yield return Path.IsPathRooted(path) ? path : Path.Combine(folder, path);
        }
    }
}
