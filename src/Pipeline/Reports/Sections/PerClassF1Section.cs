using ImageWorkbench.Pipeline.Reports.Document;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>F1 of every class for every pipeline, as one bar chart.</summary>
internal sealed class PerClassF1Section : IReportSection
{
    public IEnumerable<Block> Build(ReportContext context)
    {
        if (context.Runs.Count == 0 || ReportContext.Picture("f1-per-class", ReportCharts.PerClassF1(context.Result, context.Labels), "F1 per class for every pipeline") is not { } picture)
        {
            yield break;
        }

        yield return new Heading(2, "F1 per class", "f1-per-class");
        yield return new Image(picture);
    }
}
