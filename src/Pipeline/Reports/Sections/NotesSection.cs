using ImageWorkbench.Pipeline.Reports.Document;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>How each figure was measured.</summary>
internal sealed class NotesSection : IReportSection
{
    private static readonly string[] Notes =
    [
        "Accuracy, macro accuracy (mean per-class recall), macro F1, log-loss and top-k are measured on the same test split for every pipeline.",
        "Featurization speed: training-set decode plus features, all cores. Training time: the classifier head only.",
        "Prediction latency: one image at a time through the saved model, one thread, after warm-up (p50 and p95). Batch throughput: a batch on all cores.",
        $"Model size: the saved model package. Peak working set: of the whole process after the pipeline ran. {Figures.SizeUnitNote}.",
    ];

    public IEnumerable<Block> Build(ReportContext context) =>
        context.Runs.Count == 0 ? [] : [new Heading(2, "How these were measured", "notes"), new BulletList(Notes, ParagraphStyle.Note)];
}
