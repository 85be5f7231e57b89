using System.Text;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>
/// Reads a <c>path,label</c> manifest: comma-separated (<c>.csv</c>) or tab-separated (<c>.tsv</c>; other
/// extensions: tab when the first line has one), optional header, RFC 4180 quoting (<c>"a, ""b"""</c>), blank
/// lines ignored. Relative paths are resolved against the manifest's folder.
/// </summary>
internal static class ManifestReader
{
    private static readonly HashSet<string> PathHeaders = new(StringComparer.OrdinalIgnoreCase) { "path", "file", "filename", "file_name", "filepath", "image", "image_path", "img" };
    private static readonly HashSet<string> LabelHeaders = new(StringComparer.OrdinalIgnoreCase) { "label", "class", "category", "class_name", "target" };

    internal readonly record struct Entry(string Path, string Label, int Line);

    /// <summary>Largest manifest read: a million lines of long paths fit in a tenth of it.</summary>
    private const long MaxManifestBytes = 256L << 20;

    public static List<Entry> Read(string manifestPath)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        // One non-blocking, bounded read: a named pipe or /dev/stdin given as the manifest is refused, not waited on.
        string[] lines = FileChecks.ReadAllLinesBounded(manifestPath, "a manifest file", MaxManifestBytes, out var refusal)
            ?? throw new DatasetException($"{manifestPath}: {refusal}");

        string ext = Path.GetExtension(manifestPath);
        char separator = ext.Equals(".csv", StringComparison.OrdinalIgnoreCase) ? ','
            : ext.Equals(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t'
            : lines.FirstOrDefault(l => l.Length > 0)?.Contains('\t', StringComparison.Ordinal) == true ? '\t' : ',';

        var entries = new List<Entry>(lines.Length);
        bool first = true;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            int lineNumber = i + 1;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (first && i == 0 && line.Length > 0 && line[0] == '\uFEFF')
            {
                line = line[1..];
            }

            List<string>? fields = SplitLine(line, separator, out string? problem);
            if (fields is null)
            {
                throw Malformed(manifestPath, lineNumber, problem!);
            }

            if (first)
            {
                first = false;
                if (fields.Count == 2 && PathHeaders.Contains(fields[0].Trim()) && LabelHeaders.Contains(fields[1].Trim()))
                {
                    continue;
                }
            }

            if (fields.Count != 2)
            {
                string name = separator == '\t' ? "tab" : "comma";
                throw Malformed(manifestPath, lineNumber, $"expected 2 {name}-separated fields (path{(separator == '\t' ? "<tab>" : ",")}label), found {fields.Count}");
            }

            string path = fields[0].Trim();
            string label = fields[1].Trim();
            if (path.Length == 0)
            {
                throw Malformed(manifestPath, lineNumber, "empty path");
            }

            if (label.Length == 0)
            {
                throw Malformed(manifestPath, lineNumber, "empty label");
            }

            if (path.AsSpan().IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            {
                throw Malformed(manifestPath, lineNumber, "path contains invalid characters");
            }

            entries.Add(new Entry(Path.GetFullPath(path, folder), label, lineNumber));
        }

        return entries;
    }

    /// <summary>Splits one line into fields; null (and <paramref name="problem"/>) when a quote is not closed or stray.</summary>
    internal static List<string>? SplitLine(string line, char separator, out string? problem)
    {
        var fields = new List<string>(2);
        var field = new StringBuilder();
        int i = 0;
        problem = null;
        while (true)
        {
            field.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        problem = "unterminated quoted field";
                        return null;
                    }

                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    field.Append(line[i++]);
                }

                // only blanks may follow the closing quote before the separator
                while (i < line.Length && line[i] != separator && char.IsWhiteSpace(line[i]))
                {
                    i++;
                }

                if (i < line.Length && line[i] != separator)
                {
                    problem = $"unexpected character '{line[i]}' after a closing quote (column {i + 1})";
                    return null;
                }
            }
            else
            {
                while (i < line.Length && line[i] != separator)
                {
                    if (line[i] == '"')
                    {
                        problem = $"stray quote inside an unquoted field (column {i + 1})";
                        return null;
                    }

                    field.Append(line[i++]);
                }
            }

            fields.Add(field.ToString());
            if (i >= line.Length)
            {
                return fields;
            }

            i++; // separator
        }
    }

    private static DatasetException Malformed(string path, int line, string problem) =>
        new($"{path}:{line}: malformed manifest line: {problem}");
}
