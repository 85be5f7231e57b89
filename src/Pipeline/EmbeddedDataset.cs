using ImageWorkbench.Runtime;
namespace ImageWorkbench.Pipeline;

/// <summary>Finds the embedded default data set, <c>datasets/fashion-mnist-mini</c>, used when no <c>--data</c> is given.</summary>
public static class EmbeddedDataset
{
    public const string RelativePath = "datasets/fashion-mnist-mini";

    /// <summary>
    /// The copy beside the running program (the CLI's build copies it there), else the first
    /// <c>datasets/fashion-mnist-mini</c> found walking up from the current directory (a source checkout).
    /// </summary>
    public static string Locate()
    {
        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, RelativePath) };
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, RelativePath));
        }

        return candidates.FirstOrDefault(Directory.Exists)
            ?? throw new DatasetException($"the embedded data set {RelativePath} was not found beside the program or above {Directory.GetCurrentDirectory()}; pass --data");
    }
}
