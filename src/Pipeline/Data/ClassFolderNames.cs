using System.Text;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>
/// Class names that cannot be folder names (<c>T-shirt/top</c>): <see cref="ToFolderName"/> makes a safe name
/// (<c>T-shirt_top</c>), and <see cref="MapFile"/> beside the class folders maps each folder back to its class.
/// <c>dataset export</c> writes the map; loading a class-folder data set reads it, so the names round-trip.
/// </summary>
public static class ClassFolderNames
{
    /// <summary>The map's file name, in the data set's root folder: a header, then <c>folder&lt;TAB&gt;class</c> lines.</summary>
    public const string MapFile = "class-names.tsv";

    private const string Header = "folder\tclass";

    /// <summary>A folder name for <paramref name="className"/>: separators and control characters become '_', and a name that would be hidden or special ('.', '..') gets a leading '_'.</summary>
    public static string ToFolderName(string className)
    {
        ArgumentNullException.ThrowIfNull(className);
        var name = new StringBuilder(className.Length);
        foreach (var c in className)
        {
            name.Append(c is '/' or '\\' || char.IsControl(c) ? '_' : c);
        }

        var text = name.ToString();
        return text.Length == 0 || text.StartsWith('.') ? "_" + text : text;
    }

    /// <summary>A distinct folder name per class, in class order (a clash gets <c>-2</c>, <c>-3</c>, ...).</summary>
    public static IReadOnlyList<string> FolderNamesOf(IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(classes.Count);
        foreach (var cls in classes)
        {
            var baseName = ToFolderName(cls);
            var name = baseName;
            for (var n = 2; !used.Add(name); n++)
            {
                name = $"{baseName}-{n}";
            }

            result.Add(name);
        }

        return result;
    }

    /// <summary>The map's text for <paramref name="classes"/> and their <paramref name="folders"/>.</summary>
    public static string MapText(IReadOnlyList<string> classes, IReadOnlyList<string> folders)
    {
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(folders);
        var text = new StringBuilder(Header).Append('\n');
        for (var i = 0; i < classes.Count; i++)
        {
            text.Append(folders[i]).Append('\t').Append(classes[i]).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// The class names of <paramref name="folders"/> (folder names found in <paramref name="root"/>): each as the map
    /// says, or the folder's own name when there is no map or it does not list the folder.
    /// </summary>
    public static List<string> Apply(string root, IReadOnlyList<string> folders)
    {
        ArgumentNullException.ThrowIfNull(folders);
        var mapPath = Path.Combine(root, MapFile);
        if (FileTypes.Of(mapPath) == FileType.Missing)
        {
            return [.. folders];
        }

        var lines = FileChecks.ReadAllLinesBounded(mapPath, "a class name map", 16L << 20, out var refusal) ?? throw new DatasetException($"{mapPath}: {refusal}");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0 || (i == 0 && line.TrimStart('\uFEFF') == Header))
            {
                continue;
            }

            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab <= 0 || tab == line.Length - 1 || line.IndexOf('\t', tab + 1) >= 0)
            {
                throw new DatasetException($"{mapPath}: line {i + 1} is not 'folder<TAB>class'");
            }

            if (!map.TryAdd(line[..tab], line[(tab + 1)..]))
            {
                throw new DatasetException($"{mapPath}: folder '{line[..tab]}' is listed twice");
            }
        }

        var names = folders.Select(f => map.GetValueOrDefault(f, f)).ToList();
        if (names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new DatasetException($"{mapPath}: two class folders map to the class '{twice.Key}'");
        }

        return names;
    }
}
