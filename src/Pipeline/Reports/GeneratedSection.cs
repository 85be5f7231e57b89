namespace Pipeline.Reports;

/// <summary>
/// Replaces a tool-generated block of a Markdown file (README's results and performance tables), between
/// <c>&lt;!-- generated:NAME:begin --&gt;</c> and <c>&lt;!-- generated:NAME:end --&gt;</c>, so tables are never typed by hand.
/// </summary>
public static class GeneratedSection
{
    public static void Replace(string markdownPath, string name, string content)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(content);
        if (!File.Exists(markdownPath))
        {
            throw new WorkbenchException($"{markdownPath}: file not found");
        }

        var text = File.ReadAllText(markdownPath);
        var begin = $"<!-- generated:{name}:begin -->";
        var end = $"<!-- generated:{name}:end -->";
        var start = text.IndexOf(begin, StringComparison.Ordinal);
        var stop = text.IndexOf(end, StringComparison.Ordinal);
        if (start < 0 || stop < start)
        {
            throw new WorkbenchException($"{markdownPath}: has no '{begin}' ... '{end}' block to replace");
        }

        var updated = text[..(start + begin.Length)] + "\n" + content.TrimEnd() + "\n" + text[stop..];
        AtomicFile.WriteAllText(markdownPath, updated);
    }
}
