using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Runtime.Files;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>
/// Writes the comparison report: <c>report.md</c> (pictures as PNG files in <c>images/</c> beside it), <c>report.html</c> (one self-contained
/// file: pictures inline as <c>data:</c> URIs, CSS inline, no scripts, nothing fetched from the network) and <c>report.json</c>
/// (see <see cref="ReportJson"/>). The folder changes all at once (<see cref="StagedFolder"/>); <c>report.json</c> is moved in last.
/// </summary>
public static class ComparisonReport
{
    /// <summary>File names inside the output folder.</summary>
    public const string MarkdownFile = "report.md";

    public const string HtmlFile = "report.html";

    public const string JsonFile = "report.json";

    public const string ImagesFolder = "images";

    /// <summary>At most this many images per direction in a disagreement gallery.</summary>
    public const int DisagreementGalleryLimit = 12;

    /// <summary>At most this many images in a pipeline's gallery of mistakes.</summary>
    public const int MistakeGalleryLimit = 16;

    private static readonly string[] OwnedPrefixes = ["confusion-", "f1-per-class", "accuracy-vs-", "feature-", "thumb-"];

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
        var content = ReportContent.Create(result, images);
        var pictures = new List<string>();
        foreach (var picture in content.AllPictures())
        {
            AtomicFile.WriteAllBytes(staged.Stage(picture.File), picture.Bytes);
            pictures.Add(staged.Final(picture.File));
        }

        // Pictures from an earlier run that this run did not write would be orphans: removed at the commit (only names this writer makes).
        staged.RemoveOnCommit(ImagesFolder, IsOwnedPicture);

        // report.json last: it is committed last too, so a reader that finds the new one finds everything else new
        AtomicFile.WriteAllText(staged.Stage(MarkdownFile), MarkdownReport.Render(content));
        AtomicFile.WriteAllText(staged.Stage(HtmlFile), HtmlReport.Render(content));
        AtomicFile.WriteAllText(staged.Stage(JsonFile), ReportJson.ToText(result));
        return [staged.Final(MarkdownFile), staged.Final(HtmlFile), staged.Final(JsonFile), .. pictures];
    }

    private static bool IsOwnedPicture(string name) =>
        OwnedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)) && (name.EndsWith(".png", StringComparison.Ordinal) || name.EndsWith(".jpg", StringComparison.Ordinal));
}

/// <summary>A picture of the report: where the markdown finds it, its bytes, and its MIME type.</summary>
internal sealed record Picture(string File, byte[] Bytes, string Mime, string Alt)
{
    public string DataUri => $"data:{Mime};base64,{Convert.ToBase64String(Bytes)}";
}

/// <summary>One prediction shown under a gallery thumbnail.</summary>
internal sealed record GalleryPrediction(string Pipeline, string Predicted, float Confidence, bool Correct);

/// <summary>One gallery entry: the test image and what the pipelines said.</summary>
internal sealed record GalleryItem(string Name, string TrueLabel, Picture? Thumbnail, IReadOnlyList<GalleryPrediction> Predictions);

/// <summary>A titled gallery.</summary>
internal sealed record Gallery(string Title, int Total, IReadOnlyList<GalleryItem> Items);

/// <summary>Everything both writers render, computed once.</summary>
internal sealed class ReportContent
{
    private readonly Dictionary<string, Picture?> thumbnails = new(StringComparer.Ordinal);

    private ReportContent(ComparisonResult result)
    {
        Result = result;
        Labels = ReportAnalysis.Labels(result);
        Summary = ReportAnalysis.Summary(result);
        TradeOff = ReportAnalysis.TradeOff(result);
        Pairs = ReportAnalysis.Pairs(result);
    }

    public ComparisonResult Result { get; }

    public IReadOnlyList<string> Labels { get; }

    public IReadOnlyList<SummaryRow> Summary { get; }

    public TradeOff TradeOff { get; }

    public IReadOnlyList<PairComparison> Pairs { get; }

    public string Title { get; private set; } = "";

    public IReadOnlyList<Picture> Confusion { get; private set; } = [];

    public Picture? PerClassF1 { get; private set; }

    public Picture? AccuracyVersusCost { get; private set; }

    public IReadOnlyList<(Gallery OnlyA, Gallery OnlyB)> DisagreementGalleries { get; private set; } = [];

    public IReadOnlyList<Gallery> MistakeGalleries { get; private set; } = [];

    public IReadOnlyList<(string Caption, Picture Picture)> FeatureExamples { get; private set; } = [];

    public static ReportContent Create(ComparisonResult result, IReportImages images)
    {
        var c = new ReportContent(result);
        c.Title = $"Hand-crafted features vs CNN: {result.Dataset.Name}";
        var runs = result.Results;
        c.Confusion = [.. runs.Select((r, i) => new Picture(
            $"{ComparisonReport.ImagesFolder}/confusion-{(i + 1).ToString(CultureInfo.InvariantCulture)}-{Slug(c.Labels[i])}.png",
            ReportCharts.ConfusionHeatmap(r.Metrics, $"Confusion matrix: {c.Labels[i]}"),
            "image/png",
            $"Confusion matrix of {c.Labels[i]}"))];
        if (runs.Count > 0)
        {
            c.PerClassF1 = new Picture($"{ComparisonReport.ImagesFolder}/f1-per-class.png", ReportCharts.PerClassF1(result, c.Labels), "image/png", "F1 per class for every pipeline");
            var scatter = ReportCharts.AccuracyVersusCost(result, c.Labels);
            c.AccuracyVersusCost = scatter is null ? null : new Picture($"{ComparisonReport.ImagesFolder}/accuracy-vs-latency.png", scatter, "image/png", "Accuracy against prediction latency");
        }

        c.DisagreementGalleries = [.. c.Pairs.Select(p => (
            c.PairGallery(p, p.OnlyACorrect, $"{c.Labels[p.A]} right, {c.Labels[p.B]} wrong", images),
            c.PairGallery(p, p.OnlyBCorrect, $"{c.Labels[p.B]} right, {c.Labels[p.A]} wrong", images)))];

        c.MistakeGalleries = [.. runs.Select((r, i) =>
        {
            var mistakes = ReportAnalysis.Mistakes(r);
            var items = mistakes.Take(ComparisonReport.MistakeGalleryLimit)
                .Select(s => new GalleryItem(s.Name, ClassName(r.Metrics, s.TrueLabel), c.Thumbnail(s.Name, images), [Prediction(c.Labels[i], r.Metrics, s)]))
                .ToArray();
            return new Gallery($"Misclassified by {c.Labels[i]}", mistakes.Count, items);
        })];

        var features = new List<(string, Picture)>();
        var n = 0;
        foreach (var (caption, png) in images.FeatureExamples())
        {
            n++;
            if (Sniff(png) is { } kind)
            {
                features.Add((caption, new Picture($"{ComparisonReport.ImagesFolder}/feature-{n.ToString("00", CultureInfo.InvariantCulture)}-{Slug(caption)}.{kind.Extension}", png, kind.Mime, caption)));
            }
        }

        c.FeatureExamples = features;
        return c;
    }

    /// <summary>Every picture once, for writing next to the markdown.</summary>
    public IEnumerable<Picture> AllPictures()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        IEnumerable<Picture?> all = [
            .. Confusion,
            PerClassF1,
            AccuracyVersusCost,
            .. DisagreementGalleries.SelectMany(g => g.OnlyA.Items.Concat(g.OnlyB.Items)).Select(i => i.Thumbnail),
            .. MistakeGalleries.SelectMany(g => g.Items).Select(i => i.Thumbnail),
            .. FeatureExamples.Select(f => f.Picture)];
        foreach (var p in all)
        {
            if (p is not null && seen.Add(p.File))
            {
                yield return p;
            }
        }
    }

    public string ClassName(int run, int label) => ClassName(Result.Results[run].Metrics, label);

    private static string ClassName(ClassificationMetrics metrics, int label) =>
        label >= 0 && label < metrics.Classes.Count ? metrics.Classes[label] : label.ToString(CultureInfo.InvariantCulture);

    private static GalleryPrediction Prediction(string label, ClassificationMetrics metrics, ScoredImage s) =>
        new(label, ClassName(metrics, s.PredictedLabel), s.Confidence, s.Correct);

    private Gallery PairGallery(PairComparison pair, IReadOnlyList<ImagePair> images, string title, IReportImages source)
    {
        var ma = Result.Results[pair.A].Metrics;
        var mb = Result.Results[pair.B].Metrics;
        var items = images.Take(ComparisonReport.DisagreementGalleryLimit)
            .Select(p => new GalleryItem(p.A.Name, ClassName(ma, p.A.TrueLabel), Thumbnail(p.A.Name, source), [Prediction(Labels[pair.A], ma, p.A), Prediction(Labels[pair.B], mb, p.B)]))
            .ToArray();
        return new Gallery(title, images.Count, items);
    }

    private Picture? Thumbnail(string name, IReportImages source)
    {
        if (thumbnails.TryGetValue(name, out var cached))
        {
            return cached;
        }

        var bytes = source.ThumbnailPng(name);
        Picture? picture = null;
        if (bytes is not null && Sniff(bytes) is { } kind)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..8];
            picture = new Picture($"{ComparisonReport.ImagesFolder}/thumb-{Slug(Path.ChangeExtension(name, null) ?? name)}-{hash}.{kind.Extension}", bytes, kind.Mime, name);
        }

        thumbnails[name] = picture;
        return picture;
    }

    /// <summary>PNG or JPEG by signature; anything else is not shown (a browser could not decode it).</summary>
    private static (string Mime, string Extension)? Sniff(byte[] bytes)
    {
        ReadOnlySpan<byte> png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (bytes.AsSpan().StartsWith(png))
        {
            return ("image/png", "png");
        }

        return bytes.Length > 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF ? ("image/jpeg", "jpg") : null;
    }

    /// <summary>A file-name-safe form: lowercase ASCII letters and digits, other runs replaced by '-', at most 40 characters.</summary>
    internal static string Slug(string text)
    {
        var sb = new StringBuilder();
        foreach (var ch in text.ToLowerInvariant())
        {
            if (ch is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
            {
                sb.Append(ch);
            }
            else if (sb.Length > 0 && sb[^1] != '-')
            {
                sb.Append('-');
            }

            if (sb.Length >= 40)
            {
                break;
            }
        }

        var slug = sb.ToString().Trim('-');
        return slug.Length == 0 ? "x" : slug;
    }
}
