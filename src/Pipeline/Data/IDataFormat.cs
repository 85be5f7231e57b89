using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>
/// A data set format: recognises a path and reads the labelled images in it. Formats are asked in the order of
/// <see cref="DataFormats.All"/>; the first that reads the path wins. Adding a format is one new file with an
/// <see cref="IDataFormat"/> plus one line in <see cref="DataFormats"/>.
/// </summary>
public interface IDataFormat
{
    /// <summary>Short name, e.g. <c>idx</c>, <c>folders</c>, <c>manifest</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Reads <paramref name="fullPath"/> when it is in this format, or returns null when it is not (the next format
    /// is asked). A data set of this format that is broken as a whole throws <see cref="DatasetException"/> with
    /// one line naming the path; single unusable files go to <paramref name="warnings"/>.
    /// </summary>
    RawDataset? TryRead(string fullPath, DataWarnings warnings);
}

/// <summary>What a format read, before splitting.</summary>
/// <param name="Root">The folder the data set is named after.</param>
/// <param name="Classes">Class names, in label order.</param>
/// <param name="Train">All images when <paramref name="Test"/> is null, else the data set's own train split.</param>
/// <param name="Test">The data set's own test split; null when it has none (the loader splits).</param>
/// <param name="NativeShape">The size every image shares, when known without decoding.</param>
/// <param name="Listed">Images the data set lists, skipped ones included (the bad-image threshold counts against it).</param>
public sealed record RawDataset(string Root, IReadOnlyList<string> Classes, IReadOnlyList<LabeledImage> Train, IReadOnlyList<LabeledImage>? Test, ImageShape? NativeShape, int Listed);

/// <summary>Every data format, in the order they are asked: IDX claims a folder before class folders do.</summary>
public static class DataFormats
{
    public static IReadOnlyList<IDataFormat> All { get; } =
    [
        new IdxFormat(),
        new ClassFoldersFormat(),
        new ManifestFormat(),
    ];
}
