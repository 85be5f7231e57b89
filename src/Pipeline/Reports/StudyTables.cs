using ImageWorkbench.Pipeline.Reports.Document;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>
/// The studies' tables for README's generated block (<c>compare --readme</c>): the model-choice table with every
/// candidate's validation accuracy, and the learning curve as a table, rendered from the same sections as the report.
/// </summary>
public static class StudyTables
{
    /// <summary>Markdown of the model-choice and learning-curve tables (each with its sentence); empty when neither study ran.</summary>
    public static string Markdown(ComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Studies.Selection.Count == 0 && result.Studies.LearningCurve.Count == 0)
        {
            return string.Empty;
        }

        var context = new ReportContext(result, NoReportImages.Instance);
        IReportSection[] sections = [new ModelChoiceSection(), new LearningCurveSection()];
        var blocks = sections.SelectMany(s => s.Build(context))
            .Where(b => b is Table || (b is Paragraph { Style: not ParagraphStyle.Note } && result.Studies.Selection.Count > 0))
            .ToArray();
        return blocks.Length == 0 ? string.Empty : MarkdownWriter.Render(new ReportDocument(string.Empty, blocks)) + "\n";
    }
}
