using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>A <c>.csv</c>/<c>.tsv</c> (or <c>.txt</c>) manifest of <c>path,label</c> lines (<see cref="ManifestReader"/>).</summary>
public sealed class ManifestFormat : IDataFormat
{
    public string Name => "manifest";

    /// <summary>A file named .csv, .tsv or .txt.</summary>
    public RawDataset? TryRead(string fullPath, DataWarnings warnings) =>
        File.Exists(fullPath) && IsManifestName(fullPath) ? LoadManifest(fullPath, warnings) : null;

    private static bool IsManifestName(string path)
    {
        string ext = Path.GetExtension(path);
        return ext.Equals(".csv", StringComparison.OrdinalIgnoreCase) || ext.Equals(".tsv", StringComparison.OrdinalIgnoreCase) || ext.Equals(".txt", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// One file, one label: lines are matched by the file they reach (device and inode, so a second path, a link or a
    /// hard link to the same file counts as the same file). A repeat with the same label is ignored with a note; a
    /// repeat with another label leaves the file out everywhere (counted as skipped), because its label is ambiguous.
    /// </summary>
    private static RawDataset LoadManifest(string manifest, DataWarnings warnings)
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
        DatasetChecks.CheckClassNames(manifest, classes);
        var images = kept.Select(e => new LabeledImage(ImageSource.FromFile(e.Path), classes.BinarySearch(e.Label, StringComparer.Ordinal))).ToList();
        if (images.Count == 0 && entries.Count > 0)
        {
            throw new DatasetException($"{manifest}: none of the {entries.Count} listed images exists (paths are relative to the manifest's folder)");
        }

        DatasetChecks.RequireTwoClasses(manifest, classes, images);
        return new RawDataset(Path.GetDirectoryName(manifest)!, classes, images, null, null, images.Count + warnings.SkippedCount - skippedBefore);
    }
}
