using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Files;
namespace ImageWorkbench.Pipeline.Reports;

/// <summary>
/// Replaces a tool-generated block of a Markdown file (README's results and performance tables), between
/// <c>&lt;!-- generated:NAME:begin --&gt;</c> and <c>&lt;!-- generated:NAME:end --&gt;</c>, so tables are never typed by hand.
/// </summary>
public static class GeneratedSection
{
    public static void Replace(string markdownPath, string name, string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var (text, start, stop, begin) = Find(markdownPath, name);
        var updated = text[..(start + begin.Length)] + "\n" + content.TrimEnd() + "\n" + text[stop..];
        AtomicFile.WriteAllText(markdownPath, updated);
    }

    /// <summary>Fails early (before a long run) when the file or its block is missing.</summary>
    public static void Check(string markdownPath, string name) => Find(markdownPath, name);

    private static (string Text, int Start, int Stop, string Begin) Find(string markdownPath, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!File.Exists(markdownPath))
        {
            throw new WorkbenchException($"{markdownPath}: file not found");
        }

        var text = File.ReadAllText(markdownPath);
        var begin = $"<!-- generated:{name}:begin -->";
        var end = $"<!-- generated:{name}:end -->";
        var start = text.IndexOf(begin, StringComparison.Ordinal);
        var stop = start < 0 ? -1 : text.IndexOf(end, start, StringComparison.Ordinal);
        if (start < 0 || stop < 0)
        {
            throw new WorkbenchException($"{markdownPath}: has no '{begin}' ... '{end}' block to replace");
        }

        return (text, start, stop, begin);
    }
}
