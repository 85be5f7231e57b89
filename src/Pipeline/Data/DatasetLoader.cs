using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>
/// Loads a labelled image set from a path: the first of <see cref="DataFormats.All"/> that reads it (IDX files,
/// class folders, a manifest), then the seeded split and trimming of <see cref="DatasetOptions"/>.
/// Problems with the data set as a whole throw <see cref="DatasetException"/> with one line naming the path;
/// single unusable files go to <see cref="DataWarnings"/>.
/// </summary>
public static class DatasetLoader
{
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
        if (!Directory.Exists(full) && !File.Exists(full))
        {
            throw new DatasetException($"{path}: no such file or folder");
        }

        RawDataset raw = DataFormats.All.Select(format => format.TryRead(full, warnings)).FirstOrDefault(read => read is not null)
            ?? throw new DatasetException($"{path}: not a data set: expected a folder (class folders or IDX files) or a .csv/.tsv manifest");

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
}
