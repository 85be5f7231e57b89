using System.Globalization;
using ImageWorkbench.Pipeline.Reports.Document;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>
/// "Model choice": what each pipeline's trainer was chosen on. With <c>--trainers auto</c>, every candidate's
/// validation accuracy; otherwise one line saying the trainers are the pipelines' defaults, themselves chosen on
/// validation (README, "Choosing the default trainer").
/// </summary>
internal sealed class ModelChoiceSection : IReportSection
{
    public IEnumerable<Block> Build(ReportContext context)
    {
        var selections = context.Result.Studies.Selection;
        if (context.Runs.Count == 0)
        {
            yield break;
        }

        yield return new Heading(2, "Model choice", "model-choice");
        if (selections.Count == 0)
        {
            yield return new Paragraph(
                "Trainers: " + string.Join(", ", context.Runs.Select(r => $"{r.Pipeline} {r.Trainer}")) + ", not chosen on this data. --trainers auto chooses each "
                + "pipeline's trainer on a validation split carved from the training split (never on test); the pipelines' defaults were chosen that way "
                + "(README, \"Choosing the default trainer\").",
                ParagraphStyle.Note);
            yield break;
        }

        var first = selections[0];
        yield return new Paragraph(
            $"Chosen on validation, not on test: each candidate trainer was fitted on {Figures.Count(first.FitCount)} training images and scored on "
            + $"{Figures.Count(first.ValidationCount)} validation images carved from the training split (seeded, stratified). The best was then refitted on the whole "
            + "training split (training + validation) and evaluated once on the test split: the figures above.");
        var trainers = selections.SelectMany(s => s.Candidates.Select(c => c.Trainer)).Distinct(StringComparer.Ordinal).ToArray();
        yield return new Table(
            ["Pipeline", "Chosen", .. trainers.Select(t => $"{t} (validation accuracy)")],
            [.. selections.Select(s => new Row(
                [s.Pipeline, new Cell(s.Chosen), .. trainers.Select(t => s.Candidates.FirstOrDefault(c => c.Trainer == t) is { } c
                    ? new Cell(Figures.Ratio(c.ValidationAccuracy), c.Trainer == s.Chosen ? CellStyle.Best : CellStyle.Plain)
                    : new Cell(Figures.Missing))]))],
            "model-choice-table",
            "summary");
    }
}

/// <summary>The learning curves: test accuracy with its 95 % interval against training images per class, every pipeline on one chart.</summary>
internal sealed class LearningCurveSection : IReportSection
{
    public IEnumerable<Block> Build(ReportContext context)
    {
        var points = context.Result.Studies.LearningCurve;
        if (points.Count == 0)
        {
            yield break;
        }

        var curves = StudyRuns.Group(context, points, p => (p.Pipeline, p.Trainer));
        yield return new Heading(2, "Learning curve", "learning-curve");
        yield return new Paragraph(
            "Test accuracy against the number of training images per class, with its Wilson 95 % interval. Each size is a seeded, stratified subset of the "
            + "training split, each inside the next; every point is scored on the same test images, and each image was featurized once.", ParagraphStyle.Note);
        if (ReportContext.Picture("learning-curve", LearningCurveChart.Draw(curves), "Test accuracy against training images per class") is { } picture)
        {
            yield return new Image(picture);
        }

        var sizes = points.Select(p => (p.TrainPerClass, p.IsAll)).Distinct().OrderBy(s => s.TrainPerClass).ThenBy(s => s.IsAll).ToArray();
        yield return StudyRuns.Table(
            "Training images per class",
            curves,
            sizes,
            size => size.IsAll ? $"all ({Figures.Count(size.TrainPerClass)} max)" : Figures.Count(size.TrainPerClass),
            (items, size) => items.FirstOrDefault(p => p.TrainPerClass == size.TrainPerClass && p.IsAll == size.IsAll) is { } p
                ? $"{Figures.Ratio(p.Accuracy)} [{Figures.Ratio(p.AccuracyCi95[0])}, {Figures.Ratio(p.AccuracyCi95[1])}]"
                : null,
            "learning-curve-table");
    }
}

/// <summary>k-fold cross-validation on the training split: mean ± standard deviation of each metric per pipeline.</summary>
internal sealed class CrossValidationSection : IReportSection
{
    public IEnumerable<Block> Build(ReportContext context)
    {
        var folds = context.Result.Studies.Folds;
        if (folds.Count == 0)
        {
            yield break;
        }

        var k = folds[0].K;
        var runs = StudyRuns.Group(context, folds, f => (f.Pipeline, f.Trainer));
        yield return new Heading(2, $"{k}-fold cross-validation", "cross-validation");
        yield return new Paragraph(
            $"The training split in {k} seeded, stratified folds; each fold scored by a head fitted on the other {k - 1}. Mean ± sample standard deviation over "
            + "the folds: how much a figure moves with the images drawn. The test split is not used here.", ParagraphStyle.Note);
        var metrics = folds[0].Metrics.Keys.ToArray();
        yield return StudyRuns.Table(
            "Metric",
            runs,
            metrics,
            metric => metric,
            (items, metric) => items[0].Metrics.TryGetValue(metric, out var m) ? $"{Figures.Ratio(m.Mean)} ± {Figures.Ratio(m.Std)}" : null,
            "cross-validation-table");
    }
}

/// <summary>Study rows grouped by the comparison run they belong to (same pipeline and trainer), with the run's label and colour index.</summary>
internal static class StudyRuns
{
    /// <summary>A table with a row per <paramref name="rows"/> key and a column per run; <paramref name="cell"/> null shows as missing.</summary>
    public static Table Table<T, TKey>(string firstColumn, IReadOnlyList<(string Label, int Index, IReadOnlyList<T> Items)> runs, IReadOnlyList<TKey> rows, Func<TKey, string> rowName, Func<IReadOnlyList<T>, TKey, string?> cell, string id) => new(
        [firstColumn, .. runs.Select(r => r.Label)],
        [.. rows.Select(key => new Row([rowName(key), .. runs.Select(r => new Cell(cell(r.Items, key) ?? Figures.Missing))]))],
        id,
        "summary");

    public static IReadOnlyList<(string Label, int Index, IReadOnlyList<T> Items)> Group<T>(ReportContext context, IReadOnlyList<T> rows, Func<T, (string Pipeline, string Trainer)> key)
    {
        ArgumentNullException.ThrowIfNull(context);
        return [.. rows.GroupBy(key).Select(g =>
        {
            var index = context.Runs.ToList().FindIndex(r => r.Pipeline == g.Key.Pipeline && r.Trainer == g.Key.Trainer);
            var label = index >= 0 ? context.Labels[index] : string.Create(CultureInfo.InvariantCulture, $"{g.Key.Pipeline} ({g.Key.Trainer})");
            return (label, Math.Max(index, 0), (IReadOnlyList<T>)[.. g]);
        })];
    }
}
