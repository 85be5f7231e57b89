using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Reports.Document;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>
/// What every report section reads: the result, the analysis computed once from it (labels, summary, verdict, pairs), and the
/// pictures it can ask for (each picture made once, however many sections show it).
/// </summary>
internal sealed class ReportContext
{
    private readonly Dictionary<string, Picture?> thumbnails = new(StringComparer.Ordinal);
    private readonly IReportImages images;

    public ReportContext(ComparisonResult result, IReportImages images)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(images);
        Result = result;
        this.images = images;
        Labels = ReportAnalysis.Labels(result);
        Summary = ReportAnalysis.Summary(result);
        TradeOff = ReportAnalysis.TradeOff(result);
        Pairs = ReportAnalysis.Pairs(result);
        Statistics = ComparisonStatistics.Compute(result, Pairs);
    }

    public ComparisonResult Result { get; }

    /// <summary>Unique display label per run, in run order.</summary>
    public IReadOnlyList<string> Labels { get; }

    public IReadOnlyList<SummaryRow> Summary { get; }

    public TradeOff TradeOff { get; }

    public IReadOnlyList<PairComparison> Pairs { get; }

    /// <summary>Intervals, paired tests and calibration, per run and per pair (in <see cref="Pairs"/> order).</summary>
    public ComparisonStatistics Statistics { get; }

    public IReadOnlyList<PipelineRun> Runs => Result.Results;

    public string Title => $"Hand-crafted features vs CNN: {Result.Dataset.Name}";

    /// <summary>Captioned pictures of what the features look like (from the caller; may be none).</summary>
    public IReadOnlyList<(string Caption, byte[] Png)> FeatureExamples() => images.FeatureExamples();

    /// <summary>The image the learned-kernel responses are shown on (from the caller; may be none).</summary>
    public Runtime.Decoding.ImageSource? KernelExample() => images.KernelExample();

    /// <summary>
    /// A picture in the report's images folder named <paramref name="name"/> (a file-name-safe stem, unique in the report) plus the
    /// extension its <paramref name="bytes"/> call for, with <paramref name="alt"/> text; <c>null</c> for bytes a browser could not show
    /// (neither PNG nor JPEG).
    /// </summary>
    public static Picture? Picture(string name, byte[] bytes, string alt)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return Sniff(bytes) is { } kind ? new Picture($"{ComparisonReport.ImagesFolder}/{name}.{kind.Extension}", bytes, kind.Mime, alt) : null;
    }

    /// <summary>
    /// A gallery headed <paramref name="title"/> (with the count) of the first <paramref name="limit"/> <paramref name="images"/>, in
    /// display order, each scored by every run of <paramref name="runs"/> (same order); a "None." note when there are none.
    /// </summary>
    public IEnumerable<Block> Gallery(string title, IReadOnlyList<ScoredImage[]> images, IReadOnlyList<int> runs, int limit)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(runs);
        var shown = images.Take(limit).ToArray();
        var total = Figures.Count(images.Count);
        yield return new Heading(3, images.Count > shown.Length ? $"{title} ({total}; showing {Figures.Count(shown.Length)}, most confident mistakes first)" : $"{title} ({total})");
        if (shown.Length == 0)
        {
            yield return new Paragraph("None.", ParagraphStyle.Note);
            yield break;
        }

        yield return new Gallery([.. shown.Select(scored =>
        {
            var first = scored[0];
            var predictions = runs.Select((run, k) => new GalleryPrediction(Labels[run], ClassName(run, scored[k].PredictedLabel), scored[k].Confidence, scored[k].Correct)).ToArray();
            return new GalleryItem(first.Name, ClassName(runs[0], first.TrueLabel), Thumbnail(first.Name), predictions);
        })]);
    }

    /// <summary>The class name of <paramref name="label"/> in run <paramref name="run"/>'s class list (the number when out of range).</summary>
    public string ClassName(int run, int label)
    {
        var classes = Runs[run].Metrics.Classes;
        return label >= 0 && label < classes.Count ? classes[label] : label.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A file-name-safe form: lowercase ASCII letters and digits, other runs replaced by '-', at most 40 characters.</summary>
    public static string Slug(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
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

    private Picture? Thumbnail(string name)
    {
        if (!thumbnails.TryGetValue(name, out var picture))
        {
            // The hash keeps names apart that slug alike (a/b.png and a-b.png).
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..8];
            picture = images.ThumbnailPng(name) is { } bytes ? Picture($"thumb-{Slug(Path.ChangeExtension(name, null) ?? name)}-{hash}", bytes, name) : null;
            thumbnails[name] = picture;
        }

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
}
