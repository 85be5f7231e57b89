using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>
/// A folder of IDX files (MNIST family: <c>train-images-idx3-ubyte[.gz]</c>, <c>train-labels-idx1-ubyte[.gz]</c>,
/// optionally <c>t10k-*</c> as the test split); class names from <c>labels.txt</c>/<c>classes.txt</c>, else
/// Fashion-MNIST's when the folder's name says so, else the digits.
/// </summary>
public sealed class IdxFormat : IDataFormat
{
    public string Name => "idx";

    /// <summary>A folder holding any of the four IDX files (a partial set is refused, naming what is missing).</summary>
    public RawDataset? TryRead(string fullPath, DataWarnings warnings) =>
        Directory.Exists(fullPath) && FindIdx(fullPath) is { } files ? LoadIdx(fullPath, files) : null;

    /// <summary>Fashion-MNIST's class names, in label order.</summary>
    public static IReadOnlyList<string> FashionMnistClasses { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private static readonly string[] ClassNameFiles = ["labels.txt", "classes.txt"];

    /// <summary>The largest labels.txt/classes.txt read: 256 names of up to 1,000 bytes each.</summary>
    private const int MaxClassNameFileBytes = 256 * 1000;

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

    private static RawDataset LoadIdx(string folder, IdxFiles files)
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

        DatasetChecks.RequireTwoClasses(folder, classes, train);
        return new RawDataset(folder, classes, train, test, trainShape, train.Count + (test?.Count ?? 0));
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
                DatasetChecks.CheckClassNames(file, names);
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
}
