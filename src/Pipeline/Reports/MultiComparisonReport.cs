using System.Globalization;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Reports.Document;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>
/// The report of a comparison over several data sets, in the same three files as <see cref="ComparisonReport"/>: on top a
/// matrix of data sets x pipelines (test accuracy with its 95 % Wilson interval) and each data set's verdict, then one
/// section per data set holding what a one-data-set report holds (its headings one level down; HTML ids, verdicts and
/// picture names carry the data set's key, so they stay unique in the page). <c>report.json</c>: see <see cref="MultiReportFile"/>.
/// </summary>
public static class MultiComparisonReport
{
    /// <summary>Writes report.md (pictures in images/), report.html and report.json into <paramref name="staged"/> (committed by the caller).</summary>
    /// <param name="result">The comparison.</param>
    /// <param name="staged">The output folder, staged.</param>
    /// <param name="images">Each data set's pictures, in <see cref="MultiComparisonResult.Datasets"/> order.</param>
    /// <returns>The final paths: report.md, report.html, report.json, then the pictures.</returns>
    public static IReadOnlyList<string> Write(MultiComparisonResult result, StagedFolder staged, IReadOnlyList<IReportImages> images)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(staged);
        ArgumentNullException.ThrowIfNull(images);
        return ComparisonReport.WriteDocument(Build(result, images), ResultJson.ToText(Json(result)), staged);
    }

    /// <summary>One row per data set and pipeline: the matrix on top of the report and in report.json.</summary>
    public static IReadOnlyList<MatrixEntry> Matrix(MultiComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return [.. result.Datasets.SelectMany(data =>
        {
            var labels = ReportAnalysis.Labels(data);
            return data.Results.Select((run, i) =>
            {
                var m = run.Metrics;
                var (low, high) = Intervals.Wilson((int)Math.Round(m.Accuracy * m.Count), m.Count);
                return new MatrixEntry(data.Dataset.Name, run.Pipeline, run.Trainer, labels[i], m.Count, m.Accuracy, [low, high], m.MacroF1);
            });
        })];
    }

    /// <summary>The report.json document of a comparison over several data sets.</summary>
    public static MultiReportFile Json(MultiComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new MultiReportFile(
            result.Command,
            result.Machine,
            ResultJson.Timestamp(result.CreatedUtc),
            result.Seed,
            result.RunSeconds,
            result.PeakWorkingSetBytes > 0 ? result.PeakWorkingSetBytes : null,
            Matrix(result),
            [.. result.Datasets.Select(ReportJson.Document)]);
    }

    internal static ReportDocument Build(MultiComparisonResult result, IReadOnlyList<IReportImages> images)
    {
        if (images.Count != result.Datasets.Count)
        {
            throw new ArgumentException($"{images.Count} picture sources for {result.Datasets.Count} data sets", nameof(images));
        }

        var title = $"Hand-crafted features vs CNN on {Figures.Count(result.Datasets.Count)} data sets";
        var blocks = new List<Block>(Top(result, title));
        for (var i = 0; i < result.Datasets.Count; i++)
        {
            var section = ReportSections.Build(new ReportContext(result.Datasets[i], images[i]));
            blocks.AddRange(section.Blocks.Select(block => Scoped(block, result.Keys[i], result.Datasets[i].Dataset.Name)));
        }

        return new ReportDocument(title, blocks);
    }

    private static IEnumerable<Block> Top(MultiComparisonResult result, string title)
    {
        var created = result.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var runLine = ReportText.RunLine(result.RunSeconds, result.PeakWorkingSetBytes);
        yield return new Heading(1, title);
        yield return new Paragraph(
        [
            new Text(string.Join("; ", result.Datasets.Select(d => $"{d.Dataset.Name}: {Figures.Count(d.Dataset.Classes.Count)} classes, {Figures.Count(d.Dataset.TrainCount)} training and {Figures.Count(d.Dataset.TestCount)} test images")) + "."),
            LineBreak.Instance,
            new Text($"Generated {created} by "),
            new Code(result.Command),
            new Text($" on {result.Machine}; seed {Figures.Count(result.Seed)}."),
            .. runLine.Length > 0 ? new Inline[] { LineBreak.Instance, new Text(runLine) } : [],
        ],
        ParagraphStyle.Meta);

        var matrix = Matrix(result);
        var labels = matrix.Select(e => e.Label).Distinct(StringComparer.Ordinal).ToArray();
        yield return new Heading(2, "Accuracy by data set", "accuracy-by-data-set");
        yield return new Paragraph($"Test accuracy with its 95 % interval (Wilson); {Cell.BestMark} marks the most accurate pipeline on each data set. Each data set has its own section below.", ParagraphStyle.Note);
        yield return new Table(
            ["Data set", .. labels],
            [.. result.Datasets.Select(data =>
            {
                var entries = matrix.Where(e => e.Dataset == data.Dataset.Name).ToArray();
                var best = entries.Length > 1 ? entries.Max(e => e.Accuracy) : double.NaN;
                return new Row(
                    [data.Dataset.Name, .. labels.Select(label => entries.FirstOrDefault(e => e.Label == label) is { } e
                        ? new Cell($"{Figures.Ratio(e.Accuracy)} ({Figures.Ratio(e.AccuracyCi95[0])}–{Figures.Ratio(e.AccuracyCi95[1])})", e.Accuracy == best ? CellStyle.Best : CellStyle.Plain)
                        : new Cell(Figures.Missing))],
                    data.Dataset.Name);
            })],
            "matrix",
            "summary");
        yield return new Heading(2, "Verdicts", "verdicts");
        yield return new BulletList([.. result.Datasets.Select(d => $"{d.Dataset.Name}: {ReportAnalysis.TradeOff(d).Sentence}")]);
    }

    /// <summary>A block of one data set's section: headings one level down, ids and picture names carrying <paramref name="key"/>.</summary>
    private static Block Scoped(Block block, string key, string name) => block switch
    {
        Heading { Level: 1 } => new Heading(2, $"Data set: {name}", "dataset-" + key),
        Heading h => h with { Level = Math.Min(h.Level + 1, 6), Anchor = h.Anchor is { } a ? $"{key}-{a}" : null },
        Paragraph { Style: ParagraphStyle.Verdict } p => p with { Anchor = $"{key}-verdict" },
        Table t => t with { Id = t.Id is { } id ? $"{key}-{id}" : null },
        Image i => i with { Picture = Scoped(i.Picture, key) },
        FigureGroup g => g with { Figures = [.. g.Figures.Select(f => (f.Caption, Scoped(f.Picture, key)))] },
        Gallery g => g with { Items = [.. g.Items.Select(item => item with { Thumbnail = item.Thumbnail is { } t ? Scoped(t, key) : null })] },
        _ => block,
    };

    /// <summary><c>images/confusion-1-cnn.png</c> becomes <c>images/confusion-1-cnn--KEY.png</c>: the prefix the writer cleans up by is kept.</summary>
    private static Picture Scoped(Picture picture, string key) =>
        picture with { File = $"{Path.ChangeExtension(picture.File, null)}--{key}{Path.GetExtension(picture.File)}" };
}

/// <summary>Short unique keys for data sets, from their names: file-name and HTML-id safe.</summary>
public static class DatasetKeys
{
    /// <summary>One key per name, in order: the name's slug, with <c>-2</c>, <c>-3</c>... added to repeats.</summary>
    public static IReadOnlyList<string> For(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var keys = new List<string>();
        foreach (var name in names)
        {
            var slug = ReportContext.Slug(name);
            var key = slug;
            for (var n = 2; !taken.Add(key); n++)
            {
                key = $"{slug}-{n.ToString(CultureInfo.InvariantCulture)}";
            }

            keys.Add(key);
        }

        return keys;
    }
}

/// <summary>
/// report.json of a comparison over several data sets: the run's <c>command</c>, <c>machine</c>, <c>createdUtc</c>, <c>seed</c>,
/// <c>runSeconds</c> (all data sets), <c>peakWorkingSetBytes</c>; <c>matrix</c> (see <see cref="MatrixEntry"/>); and <c>datasets</c>,
/// one object per data set holding exactly what a one-data-set report.json holds (<see cref="ReportFile"/>). With one data set,
/// report.json is a <see cref="ReportFile"/> as before.
/// </summary>
public sealed record MultiReportFile(
    string Command,
    string Machine,
    string CreatedUtc,
    int Seed,
    double RunSeconds,
    long? PeakWorkingSetBytes,
    IReadOnlyList<MatrixEntry> Matrix,
    IReadOnlyList<ReportFile> Datasets);

/// <summary>One cell of the data sets x pipelines matrix: the pipeline's test accuracy on the data set, its 95 % Wilson interval <c>[low, high]</c>, macro F1.</summary>
public sealed record MatrixEntry(string Dataset, string Pipeline, string Trainer, string Label, int TestCount, double Accuracy, IReadOnlyList<double> AccuracyCi95, double MacroF1);
