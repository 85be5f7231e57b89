using System.Globalization;
using ImageWorkbench.Pipeline.Reports.Document;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>Pictures of what the hand-crafted features see (Sobel gradients, HOG glyphs), when the caller supplies them.</summary>
internal sealed class FeatureExamplesSection : IReportSection
{
    public IEnumerable<Block> Build(ReportContext context)
    {
        var figures = context.FeatureExamples()
            .Select((f, n) => (f.Caption, Picture: ReportContext.Picture($"feature-{(n + 1).ToString("00", CultureInfo.InvariantCulture)}-{ReportContext.Slug(f.Caption)}", f.Png, f.Caption)))
            .Where(f => f.Picture is not null)
            .Select(f => (f.Caption, f.Picture!))
            .ToArray();
        if (figures.Length == 0)
        {
            return [];
        }

        return [new Heading(2, "What the hand-crafted features see", "features"), new FigureGroup(figures)];
    }
}
