using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>
/// A folder with one sub-folder per class (images: jpg, jpeg, png, bmp, gif, webp, any letter case), or with
/// <c>train/</c> and <c>test/</c> (or <c>val/</c>) folders that each hold class folders. A <c>class-names.tsv</c> in the
/// folder (<see cref="ClassFolderNames"/>) gives the class of a folder whose name could not be the class's own.
/// </summary>
public sealed class ClassFoldersFormat : IDataFormat
{
    public string Name => "folders";

    /// <summary>Any folder (asked after <see cref="IdxFormat"/>, which claims folders of IDX files).</summary>
    public RawDataset? TryRead(string fullPath, DataWarnings warnings) =>
        Directory.Exists(fullPath) ? LoadFolders(fullPath, warnings) : null;

    /// <summary>File extensions taken as images in class folders (compared ignoring case).</summary>
    public static IReadOnlySet<string> ImageExtensions { get; } =
        new HashSet<string>([".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"], StringComparer.OrdinalIgnoreCase);

    private static readonly string[] TestFolderNames = ["test", "val", "valid", "validation"];
    private static RawDataset LoadFolders(string root, DataWarnings warnings)
    {
        var scanner = new FolderScanner(warnings);
        List<string> subfolders;
        try
        {
            subfolders = FolderScanner.VisibleSubfolders(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"{root}: cannot read this folder: {(e is UnauthorizedAccessException ? "permission denied" : e.Message)}", e);
        }

        string? trainDir = subfolders.FirstOrDefault(d => Path.GetFileName(d).Equals("train", StringComparison.OrdinalIgnoreCase));
        string? testDir = TestFolderNames
            .Select(n => subfolders.FirstOrDefault(d => Path.GetFileName(d).Equals(n, StringComparison.OrdinalIgnoreCase)))
            .FirstOrDefault(d => d is not null);

        if (trainDir is not null && testDir is not null)
        {
            foreach (string other in TestFolderNames.Where(n => !n.Equals(Path.GetFileName(testDir), StringComparison.OrdinalIgnoreCase)))
            {
                if (subfolders.Any(d => Path.GetFileName(d).Equals(other, StringComparison.OrdinalIgnoreCase)))
                {
                    warnings.Note(Path.Combine(root, other), $"ignored: {Path.GetFileName(testDir)}/ is the test split");
                }
            }

            SortedDictionary<string, List<string>> trainClasses = scanner.ScanClasses(trainDir);
            SortedDictionary<string, List<string>> testClasses = scanner.ScanClasses(testDir);
            scanner.DropSharedFiles();
            foreach (string cls in testClasses.Keys)
            {
                if (!trainClasses.ContainsKey(cls))
                {
                    throw new DatasetException($"{Path.Combine(testDir, cls)}: class '{cls}' has test images but no train images");
                }
            }

            foreach (string cls in trainClasses.Keys.Where(c => !testClasses.ContainsKey(c)))
            {
                warnings.Note($"class '{cls}'", $"has no images in {testDir}");
            }

            List<string> classes = [.. trainClasses.Keys];
            DatasetChecks.CheckClassNames(trainDir, classes);
            List<LabeledImage> train = ToLabeled(trainClasses, classes);
            List<LabeledImage> test = ToLabeled(testClasses, classes);
            DatasetChecks.RequireTwoClasses(root, classes, train);
            return new RawDataset(root, ClassFolderNames.Apply(root, classes), train, test, null, train.Count + test.Count + scanner.SkippedCount);
        }

        SortedDictionary<string, List<string>> found = scanner.ScanClasses(root);
        scanner.DropSharedFiles();
        if (found.Count == 0)
        {
            int loose = Directory.EnumerateFiles(root).Count(f => ImageExtensions.Contains(Path.GetExtension(f)) && !Path.GetFileName(f).StartsWith('.'));
            if (loose > 0)
            {
                throw new DatasetException($"{root}: {loose} images lie directly in the folder, but they must be in one sub-folder per class (<class>/<image>)");
            }
        }

        List<string> names = [.. found.Keys];
        DatasetChecks.CheckClassNames(root, names);
        List<LabeledImage> all = ToLabeled(found, names);
        DatasetChecks.RequireTwoClasses(root, names, all);
        return new RawDataset(root, ClassFolderNames.Apply(root, names), all, null, null, all.Count + scanner.SkippedCount);
    }

    private static List<LabeledImage> ToLabeled(SortedDictionary<string, List<string>> byClass, List<string> classes)
    {
        var result = new List<LabeledImage>();
        foreach ((string cls, List<string> files) in byClass)
        {
            int label = classes.BinarySearch(cls, StringComparer.Ordinal);
            result.AddRange(files.Select(f => new LabeledImage(ImageSource.FromFile(f), label)));
        }

        return result;
    }
}
