using System.Globalization;
using ImageWorkbench.Pipeline.Reports.Document;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>Title, where the figures come from (data, command, machine, seed, whole-run cost) and the verdict.</summary>
internal sealed class HeaderSection : IReportSection
{
    public IEnumerable<Block> Build(ReportContext context)
    {
        var r = context.Result;
        var d = r.Dataset;
        var classes = d.Classes.Count <= 12 ? $" ({string.Join(", ", d.Classes)})" : "";
        var created = r.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var runLine = ReportText.RunLine(r);
        yield return new Heading(1, context.Title);
        yield return new Paragraph(
        [
            new Text($"{d.Name}: {Figures.Count(d.Classes.Count)} classes{classes}, {Figures.Count(d.TrainCount)} training and {Figures.Count(d.TestCount)} test images."),
            LineBreak.Instance,
            new Text($"Generated {created} by "),
            new Code(r.Command),
            new Text($" on {r.Machine}; seed {Figures.Count(r.Seed)}."),
            .. runLine.Length > 0 ? new Inline[] { LineBreak.Instance, new Text(runLine) } : [],
        ],
        ParagraphStyle.Meta);
        yield return new Paragraph([new Strong("Verdict:"), new Text(" " + context.TradeOff.Sentence)], ParagraphStyle.Verdict);
    }
}
