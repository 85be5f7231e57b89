using ImageWorkbench.Pipeline.Reports.Document;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>One part of the comparison report: produces its content once; the Markdown and HTML writers render it.</summary>
internal interface IReportSection
{
    /// <summary>The section's blocks (none when it has nothing to show for this result).</summary>
    IEnumerable<Block> Build(ReportContext context);
}

/// <summary>The report's sections, in page order. A new section is a new <see cref="IReportSection"/> file plus one line here.</summary>
internal static class ReportSections
{
    public static IReadOnlyList<IReportSection> All { get; } =
    [
        new HeaderSection(),
        new SideBySideSection(),
        new UncertaintySection(),
        new ModelChoiceSection(),
        new LearningCurveSection(),
        new CrossValidationSection(),
        new PerClassF1Section(),
        new DisagreementsSection(),
        new PipelineDetailsSection(),
        new FeatureExamplesSection(),
        new LearnedKernelsSection(),
        new NotesSection(),
    ];

    /// <summary>The whole report document: every section's blocks, in order.</summary>
    public static ReportDocument Build(ReportContext context) =>
        new(context.Title, [.. All.SelectMany(section => section.Build(context))]);
}
