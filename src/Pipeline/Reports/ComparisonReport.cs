using ImageWorkbench.Pipeline.Reports.Document;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>
/// Writes the comparison report: <c>report.md</c> (pictures as PNG files in <c>images/</c> beside it), <c>report.html</c> (one self-contained
/// file: pictures inline as <c>data:</c> URIs, CSS inline, no scripts, nothing fetched from the network) and <c>report.json</c>
/// (see <see cref="ReportJson"/>). Both pages render the same <see cref="ReportDocument"/>, built once by the sections of
/// <see cref="ReportSections"/>. The folder changes all at once (<see cref="StagedFolder"/>); <c>report.json</c> is moved in last.
/// </summary>
public static class ComparisonReport
{
    /// <summary>File names inside the output folder.</summary>
    public const string MarkdownFile = "report.md";

    public const string HtmlFile = "report.html";

    public const string JsonFile = "report.json";

    public const string ImagesFolder = "images";

    private static readonly string[] OwnedPrefixes = ["confusion-", "f1-per-class", "accuracy-vs-", "feature-", "thumb-", "reliability-", "learning-curve"];

    /// <summary>
    /// Writes the three report files (and the markdown's pictures) into <paramref name="outputFolder"/>, creating it; the
    /// folder changes all at once (see <see cref="StagedFolder"/>): a failure part-way leaves the previous report whole.
    /// </summary>
    /// <returns>The paths written: report.md, report.html, report.json, then the pictures.</returns>
    public static IReadOnlyList<string> Write(ComparisonResult result, string outputFolder, IReportImages images)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputFolder);
        using var staged = StagedFolder.Begin(outputFolder);
        var written = Write(result, staged, images);
        staged.Commit();
        return written;
    }

    /// <summary>
    /// Writes the report into <paramref name="staged"/> (committed by the caller, with whatever else it staged there,
    /// such as the models). At the commit, pictures of an earlier report that this one does not show are removed.
    /// </summary>
    /// <returns>The final paths: report.md, report.html, report.json, then the pictures.</returns>
    public static IReadOnlyList<string> Write(ComparisonResult result, StagedFolder staged, IReportImages images)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(staged);
        ArgumentNullException.ThrowIfNull(images);
        return WriteDocument(ReportSections.Build(new ReportContext(result, images)), ReportJson.ToText(result), staged);
    }

    /// <summary>Writes a built report (<paramref name="document"/> as Markdown with its pictures and as HTML, and <paramref name="json"/>) into <paramref name="staged"/>.</summary>
    /// <returns>The final paths: report.md, report.html, report.json, then the pictures.</returns>
    internal static IReadOnlyList<string> WriteDocument(ReportDocument document, string json, StagedFolder staged)
    {
        var pictures = new List<string>();
        foreach (var picture in document.Pictures())
        {
            AtomicFile.WriteAllBytes(staged.Stage(picture.File), picture.Bytes);
            pictures.Add(staged.Final(picture.File));
        }

        // Pictures from an earlier run that this run did not write would be orphans: removed at the commit (only names this writer makes).
        staged.RemoveOnCommit(ImagesFolder, IsOwnedPicture);

        // report.json last: it is committed last too, so a reader that finds the new one finds everything else new
        AtomicFile.WriteAllText(staged.Stage(MarkdownFile), MarkdownWriter.Render(document));
        AtomicFile.WriteAllText(staged.Stage(HtmlFile), HtmlWriter.Render(document));
        AtomicFile.WriteAllText(staged.Stage(JsonFile), json);
        return [staged.Final(MarkdownFile), staged.Final(HtmlFile), staged.Final(JsonFile), .. pictures];
    }

    private static bool IsOwnedPicture(string name) =>
        OwnedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)) && (name.EndsWith(".png", StringComparison.Ordinal) || name.EndsWith(".jpg", StringComparison.Ordinal));
}
