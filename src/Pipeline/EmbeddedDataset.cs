using ImageWorkbench.Runtime;
namespace ImageWorkbench.Pipeline;

/// <summary>
/// Finds the embedded data sets under <c>datasets/</c>: <c>fashion-mnist-mini</c> (small grey images, the default of every
/// command) and <c>caltech101-mini</c> (colour photos); the default <c>compare</c> runs both. A data set is named by its folder.
/// </summary>
public static class EmbeddedDataset
{
    /// <summary>The grey set: the default data set of every command but <c>compare</c>.</summary>
    public const string DefaultName = "fashion-mnist-mini";

    /// <summary>The colour-photo set.</summary>
    public const string PhotosName = "caltech101-mini";

    /// <summary>Where the default set sits, relative to the program or a source checkout.</summary>
    public const string RelativePath = "datasets/" + DefaultName;

    /// <summary>Every embedded data set's name, in the order the default <c>compare</c> runs them.</summary>
    public static IReadOnlyList<string> Names { get; } = [DefaultName, PhotosName];

    /// <summary>The default (grey) data set; see <see cref="Locate(string)"/>.</summary>
    public static string Locate() => Locate(DefaultName);

    /// <summary>
    /// The embedded data set <paramref name="name"/> (one of <see cref="Names"/>): the copy beside the running program (the CLI's
    /// build copies it there), else the first <c>datasets/NAME</c> found walking up from the current directory (a source checkout).
    /// </summary>
    public static string Locate(string name)
    {
        if (!IsName(name))
        {
            throw new ArgumentException($"'{name}' is not an embedded data set ({string.Join(", ", Names)})", nameof(name));
        }

        var relative = "datasets/" + name;
        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, relative) };
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, relative));
        }

        return candidates.FirstOrDefault(Directory.Exists)
            ?? throw new DatasetException($"the embedded data set {relative} was not found beside the program or above {Directory.GetCurrentDirectory()}; pass --data");
    }

    /// <summary>Every embedded data set's folder, in <see cref="Names"/> order.</summary>
    public static IReadOnlyList<string> LocateAll() => [.. Names.Select(Locate)];

    /// <summary>
    /// A <c>--data</c> value as a path: an existing file or folder as it is; otherwise an embedded set's name (e.g.
    /// <c>caltech101-mini</c>) as that set's folder; anything else as it is (the loader then names it as missing).
    /// </summary>
    public static string Resolve(string pathOrName)
    {
        ArgumentNullException.ThrowIfNull(pathOrName);
        return !Path.Exists(pathOrName) && IsName(pathOrName) ? Locate(pathOrName) : pathOrName;
    }

    private static bool IsName(string name) => Names.Contains(name, StringComparer.Ordinal);
}
