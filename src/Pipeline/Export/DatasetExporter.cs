using System.Globalization;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pictures;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Export;

/// <summary>Which images <c>dataset export</c> writes.</summary>
public enum ExportSplit
{
    /// <summary>The test split into <c>DIR/&lt;class&gt;/</c>: a hold-out folder.</summary>
    Test,

    /// <summary>The training split into <c>DIR/&lt;class&gt;/</c>.</summary>
    Train,

    /// <summary>Both, into <c>DIR/train/&lt;class&gt;/</c> and <c>DIR/test/&lt;class&gt;/</c>: the data set's split kept.</summary>
    All,
}

/// <summary>What <see cref="DatasetExporter.Write"/> wrote.</summary>
public sealed record ExportSummary(string Folder, int Images, IReadOnlyList<string> Classes, bool Renamed);

/// <summary>
/// Writes a data set as class folders of image files, the layout most tools read: IDX (raw) images as PNG, image
/// files copied as they are. Class names that cannot be folder names get a safe folder name and a
/// <see cref="ClassFolderNames.MapFile"/> that maps them back; loading the folder gives the original names.
/// </summary>
public static class DatasetExporter
{
    /// <summary>
    /// Writes <paramref name="split"/> of <paramref name="data"/> into <paramref name="outputFolder"/>, which must be
    /// absent or empty. Everything is written into a hidden folder beside it and renamed into place at the end: a
    /// failure or Ctrl+C leaves no half-exported folder.
    /// </summary>
    public static ExportSummary Write(ImageDataset data, string outputFolder, ExportSplit split, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var target = OutputTarget.CheckFolder(outputFolder);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new OutputPathException($"{outputFolder}: the folder is not empty; export into a new or empty folder");
        }

        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, OutputTarget.TempName(Path.GetFileName(target)));
        Directory.CreateDirectory(temp);
        try
        {
            var folders = ClassFolderNames.FolderNamesOf(data.Classes);
            var written = 0;
            (string Sub, IReadOnlyList<LabeledImage> Images)[] parts = split switch
            {
                ExportSplit.Test => [(string.Empty, data.Test)],
                ExportSplit.Train => [(string.Empty, data.Train)],
                _ => [("train", data.Train), ("test", data.Test)],
            };
            foreach (var (sub, images) in parts)
            {
                var digits = Math.Max(5, images.Count.ToString(CultureInfo.InvariantCulture).Length);
                foreach (var folder in folders)
                {
                    Directory.CreateDirectory(Path.Combine(temp, sub, folder));
                }

                for (var i = 0; i < images.Count; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var image = images[i];
                    var stem = Path.Combine(temp, sub, folders[image.Label], i.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0'));
                    WriteImage(image.Source, stem);
                    written++;
                    if (written % 256 == 0)
                    {
                        progress?.Report(written);
                    }
                }
            }

            var renamed = !folders.SequenceEqual(data.Classes, StringComparer.Ordinal);
            File.WriteAllText(Path.Combine(temp, ClassFolderNames.MapFile), ClassFolderNames.MapText(data.Classes, folders));
            progress?.Report(written);
            if (Directory.Exists(target))
            {
                Directory.Delete(target); // empty, checked above
            }

            Directory.Move(temp, target);
            return new ExportSummary(target, written, folders, renamed);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Raw pixels (IDX) become a PNG; an image file is copied with its own extension.</summary>
    internal static void WriteImage(ImageSource source, string stem)
    {
        switch (source.Kind)
        {
            case ImageSourceKind.RawPixels:
                {
                    var shape = new ImageShape(source.RawWidth, source.RawHeight, source.RawChannels == 1 ? 1 : 3);
                    var planar = new float[shape.Length];
                    ImageDecoder.Default.Decode(source, shape, ResizeMode.Stretch, planar);
                    File.WriteAllBytes(stem + ".png", PngWriter.Encode(planar, shape));
                    break;
                }

            case ImageSourceKind.File:
                File.Copy(source.Path!, stem + Path.GetExtension(source.Path!).ToLowerInvariant());
                break;
            default:
                throw new DatasetException($"{source.Name}: an image held in memory cannot be exported (only image files and raw IDX pixels)");
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // best effort: a hidden temp folder left behind is named like our temp files
        }
    }
}
