using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>
/// Loads a labelled image set from a path, detecting its kind:
/// <list type="bullet">
/// <item>a folder of IDX files (MNIST family: <c>train-images-idx3-ubyte[.gz]</c>, <c>train-labels-idx1-ubyte[.gz]</c>,
/// optionally <c>t10k-*</c> as the test split);</item>
/// <item>a folder with one sub-folder per class (images: jpg, jpeg, png, bmp, gif, webp, any letter case), or with
/// <c>train/</c> and <c>test/</c> (or <c>val/</c>) folders that each hold class folders;</item>
/// <item>a <c>.csv</c>/<c>.tsv</c> manifest of <c>path,label</c> lines.</item>
/// </list>
/// Problems with the data set as a whole throw <see cref="DatasetException"/> with one line naming the path;
/// single unusable files go to <see cref="DataWarnings"/>.
/// </summary>
public static class DatasetLoader
{
    /// <summary>Fashion-MNIST's class names, in label order.</summary>
    public static IReadOnlyList<string> FashionMnistClasses { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>File extensions taken as images in class folders (compared ignoring case).</summary>
    public static IReadOnlySet<string> ImageExtensions { get; } =
        new HashSet<string>([".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"], StringComparer.OrdinalIgnoreCase);

    private static readonly string[] TestFolderNames = ["test", "val", "valid", "validation"];
    private static readonly string[] ClassNameFiles = ["labels.txt", "classes.txt"];

    /// <summary>The largest labels.txt/classes.txt read: 256 names of up to 1,000 bytes each.</summary>
    private const int MaxClassNameFileBytes = 256 * 1000;

    /// <summary>Loads with the default options, printing nothing.</summary>
    public static ImageDataset Load(string path) => Load(path, DatasetOptions.Default, new DataWarnings());

    public static ImageDataset Load(string path, DatasetOptions options, DataWarnings warnings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(warnings);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new DatasetException("no data set path given");
        }

        string full = Path.GetFullPath(path);
        Raw raw;
        if (Directory.Exists(full))
        {
            raw = FindIdx(full) is { } idx ? LoadIdx(full, idx) : LoadFolders(full, warnings);
        }
        else if (File.Exists(full))
        {
            string ext = Path.GetExtension(full);
            if (!(ext.Equals(".csv", StringComparison.OrdinalIgnoreCase) || ext.Equals(".tsv", StringComparison.OrdinalIgnoreCase) || ext.Equals(".txt", StringComparison.OrdinalIgnoreCase)))
            {
                throw new DatasetException($"{path}: not a data set: expected a folder (class folders or IDX files) or a .csv/.tsv manifest");
            }

            raw = LoadManifest(full, warnings);
        }
        else
        {
            throw new DatasetException($"{path}: no such file or folder");
        }

        warnings.ThrowIfOverThreshold(raw.Listed, options.MaxBadFraction);

        IReadOnlyList<LabeledImage> train;
        IReadOnlyList<LabeledImage> test;
        if (raw.Test is not null)
        {
            (train, test) = (raw.Train, raw.Test);
        }
        else
        {
            (train, test) = DatasetSplitter.Split(raw.Train, raw.Classes, options.TestFraction, options.Seed, warnings);
        }

        if (options.MaxTrainPerClass is int maxTrain)
        {
            train = DatasetSplitter.Subsample(train, raw.Classes, maxTrain, options.Seed, "train");
        }

        if (options.MaxTestPerClass is int maxTest)
        {
            test = DatasetSplitter.Subsample(test, raw.Classes, maxTest, options.Seed, "test");
        }

        warnings.Flush(); // the "and K more like this" lines of the loading phase, before any later phase prints
        return new ImageDataset(NameOf(raw.Root), full, raw.Classes, train, test, raw.Test is not null, raw.NativeShape);
    }

    private static string NameOf(string folder)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        return name.Length > 0 ? name : folder;
    }

    /// <summary>What a format reader found, before splitting. <see cref="Test"/> is null when the data has no split.</summary>
    private sealed record Raw(string Root, IReadOnlyList<string> Classes, IReadOnlyList<LabeledImage> Train, IReadOnlyList<LabeledImage>? Test, ImageShape? NativeShape, int Listed);

    private static void RequireTwoClasses(string path, IReadOnlyList<string> classes, IEnumerable<LabeledImage> images)
    {
        var present = images.Select(i => i.Label).Distinct().Order().ToList();
        if (present.Count == 0)
        {
            throw new DatasetException($"{path}: no images found (expected class folders of .jpg/.jpeg/.png/.bmp/.gif/.webp files, MNIST-style IDX files, or a .csv/.tsv manifest)");
        }

        if (present.Count == 1)
        {
            throw new DatasetException($"{path}: only one class ('{classes[present[0]]}') has images; a classifier needs at least two");
        }
    }

    /// <summary>
    /// Class names become model labels that predict prints: a blank name, or one with a control or invisible
    /// character (a newline would forge output lines, a bidi override would show another name), is refused. Names
    /// that differ only by letter case stay two classes: EMNIST's 'a' and 'A' are different classes.
    /// </summary>
    private static void CheckClassNames(string where, IEnumerable<string> names)
    {
        foreach (string name in names)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new DatasetException($"{where}: a class name is blank ('{name}'); name each class with visible characters");
            }

            if (TerminalText.Escape(name) != name)
            {
                throw new DatasetException($"{where}: class name '{name}' contains a control or invisible character; rename it");
            }
        }
    }

    // ---------------------------------------------------------------- IDX

    private sealed record IdxFiles(string TrainImages, string TrainLabels, string? TestImages, string? TestLabels);

    private static string? FindFile(string folder, string prefix, string kind, string dims)
    {
        foreach (string name in new[] { $"{prefix}-{kind}-{dims}-ubyte", $"{prefix}-{kind}.{dims}-ubyte" })
        {
            foreach (string suffix in new[] { ".gz", string.Empty })
            {
                string candidate = Path.Combine(folder, name + suffix);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static IdxFiles? FindIdx(string folder)
    {
        string? trainImages = FindFile(folder, "train", "images", "idx3");
        string? trainLabels = FindFile(folder, "train", "labels", "idx1");
        string? testImages = FindFile(folder, "t10k", "images", "idx3");
        string? testLabels = FindFile(folder, "t10k", "labels", "idx1");
        if (trainImages is null && trainLabels is null && testImages is null && testLabels is null)
        {
            return null;
        }

        if (trainImages is null || trainLabels is null)
        {
            throw new DatasetException($"{folder}: IDX data set without {(trainImages is null ? "train-images-idx3-ubyte[.gz]" : "train-labels-idx1-ubyte[.gz]")}");
        }

        if ((testImages is null) != (testLabels is null))
        {
            throw new DatasetException($"{folder}: IDX data set has {Path.GetFileName(testImages ?? testLabels)} but not its {(testImages is null ? "images" : "labels")} file");
        }

        return new IdxFiles(trainImages, trainLabels, testImages, testLabels);
    }

    private static Raw LoadIdx(string folder, IdxFiles files)
    {
        IReadOnlyList<string> classes = IdxClassNames(folder);
        var train = ReadIdxPair(files.TrainImages, files.TrainLabels, classes, out var trainShape);
        List<LabeledImage>? test = null;
        if (files.TestImages is not null)
        {
            test = ReadIdxPair(files.TestImages, files.TestLabels!, classes, out var testShape);
            if (testShape != trainShape)
            {
                throw new DatasetException($"{files.TestImages}: images are {testShape.Width}x{testShape.Height}, the train images {trainShape.Width}x{trainShape.Height}");
            }
        }

        RequireTwoClasses(folder, classes, train);
        return new Raw(folder, classes, train, test, trainShape, train.Count + (test?.Count ?? 0));
    }

    private static List<LabeledImage> ReadIdxPair(string imagesPath, string labelsPath, IReadOnlyList<string> classes, out ImageShape shape)
    {
        byte[] labels = IdxReader.ReadLabels(labelsPath);
        IdxReader.IdxImages images = IdxReader.ReadImages(imagesPath, (labelsPath, labels.Length));
        if (labels.Length != images.Count)
        {
            throw new DatasetException($"{labelsPath}: has {labels.Length} labels but {Path.GetFileName(imagesPath)} has {images.Count} images");
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classes.Count)
            {
                throw new DatasetException($"{labelsPath}: label {labels[i]} of image {i} is out of range: the data set has {classes.Count} classes (0..{classes.Count - 1})");
            }
        }

        shape = new ImageShape(images.Columns, images.Rows, 1);
        int size = images.Rows * images.Columns;
        string name = Path.GetFileName(imagesPath);
        var result = new List<LabeledImage>(images.Count);
        for (int i = 0; i < images.Count; i++)
        {
            var pixels = new ReadOnlyMemory<byte>(images.Pixels, i * size, size);
            result.Add(new LabeledImage(ImageSource.FromRawPixels(pixels, images.Columns, images.Rows, 1, $"{name}#{i}"), labels[i]));
        }

        return result;
    }

    private static IReadOnlyList<string> IdxClassNames(string folder)
    {
        foreach (string fileName in ClassNameFiles)
        {
            string file = Path.Combine(folder, fileName);
            if (File.Exists(file))
            {
                // 256 names of a few hundred characters fit in far less; a bigger file is not a class list, and
                // reading it whole could take gigabytes. Read without blocking: a named pipe here is refused.
                string[] names = (FileChecks.ReadAllLinesBounded(file, "a class-name file", MaxClassNameFileBytes, out var refusal)
                    ?? throw new DatasetException($"{file}: {refusal}; it should list the class names, one a line"))
                    .Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
                CheckClassNames(file, names);
                if (names.Length > 256)
                {
                    throw new DatasetException($"{file}: {names.Length} class names, but IDX labels are bytes (at most 256 classes)");
                }

                string? duplicate = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1)?.Key;
                if (duplicate is not null)
                {
                    throw new DatasetException($"{file}: class name '{duplicate}' appears twice");
                }

                return names;
            }
        }

        if (folder.Contains("fashion", StringComparison.OrdinalIgnoreCase))
        {
            return FashionMnistClasses;
        }

        return Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    // ---------------------------------------------------------------- class folders

    private static Raw LoadFolders(string root, DataWarnings warnings)
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
            CheckClassNames(trainDir, classes);
            List<LabeledImage> train = ToLabeled(trainClasses, classes);
            List<LabeledImage> test = ToLabeled(testClasses, classes);
            RequireTwoClasses(root, classes, train);
            return new Raw(root, classes, train, test, null, train.Count + test.Count + scanner.SkippedCount);
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
        CheckClassNames(root, names);
        List<LabeledImage> all = ToLabeled(found, names);
        RequireTwoClasses(root, names, all);
        return new Raw(root, names, all, null, null, all.Count + scanner.SkippedCount);
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

    // ---------------------------------------------------------------- manifest

    /// <summary>
    /// One file, one label: lines are matched by the file they reach (device and inode, so a second path, a link or a
    /// hard link to the same file counts as the same file). A repeat with the same label is ignored with a note; a
    /// repeat with another label leaves the file out everywhere (counted as skipped), because its label is ambiguous.
    /// </summary>
    private static Raw LoadManifest(string manifest, DataWarnings warnings)
    {
        List<ManifestReader.Entry> entries = ManifestReader.Read(manifest);
        int skippedBefore = warnings.SkippedCount;
        var firstByFile = new Dictionary<string, ManifestReader.Entry>(StringComparer.Ordinal);
        var conflicted = new HashSet<string>(StringComparer.Ordinal);
        var kept = new List<ManifestReader.Entry>(entries.Count);
        var fileByPath = new Dictionary<string, string?>(StringComparer.Ordinal); // a path repeated a million times is looked up once
        foreach (var entry in entries)
        {
            if (!fileByPath.TryGetValue(entry.Path, out string? file))
            {
                fileByPath[entry.Path] = file = File.Exists(entry.Path) ? FileTypes.Identity(entry.Path) : null;
            }

            if (file is null)
            {
                warnings.Skip(entry.Path, $"not found (listed on line {entry.Line} of {Path.GetFileName(manifest)})", "an image listed in the manifest is not found");
                continue;
            }

            if (!firstByFile.TryGetValue(file, out var earlier))
            {
                firstByFile[file] = entry;
                kept.Add(entry);
            }
            else if (earlier.Label == entry.Label)
            {
                string same = earlier.Path == entry.Path ? entry.Path : $"{entry.Path} (the same file as {earlier.Path})";
                warnings.Note($"{manifest}:{entry.Line}", $"{same} is already listed on line {earlier.Line}; this line is ignored", "a manifest line repeats an earlier file; ignored");
            }
            else
            {
                conflicted.Add(file);
                warnings.Skip(entry.Path, $"labelled '{entry.Label}' on line {entry.Line} but '{earlier.Label}' on line {earlier.Line} (the same file); a file with two labels is left out", "a file listed with two labels; left out");
            }
        }

        var leftOut = new HashSet<int>(); // line numbers of first listings whose file later got another label
        foreach (string file in conflicted)
        {
            ManifestReader.Entry first = firstByFile[file];
            leftOut.Add(first.Line);
            warnings.Skip(first.Path, $"listed with two labels (first '{first.Label}' on line {first.Line}); left out", "a file listed with two labels; left out");
        }

        kept.RemoveAll(e => leftOut.Contains(e.Line));

        kept.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        List<string> classes = kept.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        CheckClassNames(manifest, classes);
        var images = kept.Select(e => new LabeledImage(ImageSource.FromFile(e.Path), classes.BinarySearch(e.Label, StringComparer.Ordinal))).ToList();
        if (images.Count == 0 && entries.Count > 0)
        {
            throw new DatasetException($"{manifest}: none of the {entries.Count} listed images exists (paths are relative to the manifest's folder)");
        }

        RequireTwoClasses(manifest, classes, images);
        return new Raw(Path.GetDirectoryName(manifest)!, classes, images, null, null, images.Count + warnings.SkippedCount - skippedBefore);
    }
}
