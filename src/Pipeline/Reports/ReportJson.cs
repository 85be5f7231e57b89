using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>
/// The machine-readable comparison, <c>report.json</c>: the records below (<see cref="ReportFile"/>) serialised with
/// <see cref="ResultJson.Options"/>. Keys are stable; numbers are JSON numbers (invariant culture); a figure that was not measured
/// (NaN or infinite) is <c>null</c>.
/// <list type="bullet">
/// <item><c>dataset</c>: <c>name</c>, <c>location</c>, <c>classes</c> (array of names, label order), <c>trainCount</c>, <c>testCount</c>.</item>
/// <item><c>command</c> (string), <c>machine</c> (string), <c>createdUtc</c> (ISO 8601, e.g. <c>2025-01-31T12:00:00.000Z</c>), <c>seed</c> (integer),
/// <c>runSeconds</c> (wall time of the whole comparison, data loading and report writing excluded), <c>peakWorkingSetBytes</c> (of the process, by the end).</item>
/// <item><c>results</c>: one object per pipeline, in run order: <c>pipeline</c>, <c>trainer</c>, <c>featureSet</c>, <c>label</c> (unique display label),
/// then the evaluation keys of <see cref="MetricsFigures"/>: <c>count</c>, <c>accuracy</c>, <c>macroAccuracy</c>, <c>macroF1</c>, <c>logLoss</c>,
/// <c>topK</c> (object "1"/"3"/"5" -> accuracy, k present only when there are more than k classes), <c>classes</c>,
/// <c>perClass</c> (array of <c>class</c>, <c>precision</c>, <c>recall</c>, <c>f1</c>, <c>support</c>),
/// <c>confusionMatrix</c> (rows true class, columns predicted class, counts); then the costs: <c>featurizeImagesPerSecond</c>,
/// <c>trainSeconds</c>, <c>predictMillisecondsP50</c>, <c>predictMillisecondsP95</c>, <c>batchImagesPerSecond</c>, <c>modelBytes</c>,
/// <c>peakWorkingSetBytes</c>, <c>modelPath</c>.</item>
/// <item><c>disagreements</c>: one object per pair of pipelines (for two pipelines, one object): <c>a</c>, <c>b</c> (pipeline labels; <c>b</c> ranks higher, e.g. the
/// CNN when one of the pair is), <c>matched</c> (test images matched by name), <c>bothCorrect</c>, <c>bothWrong</c>, <c>onlyACorrect</c>, <c>onlyBCorrect</c>.</item>
/// <item><c>results[]</c> also carries <c>accuracyCi95</c> (Wilson) and <c>macroF1Ci95</c> (bootstrap), each <c>[low, high]</c>, <c>trainAccuracy</c> and
/// <c>ece</c> (expected calibration error, 15 bins).</item>
/// <item><c>pairwise</c>: one object per pair (as <c>disagreements</c>): <c>a</c>, <c>b</c>, <c>datasetName</c>, <c>accuracyDifference</c> (b minus a),
/// <c>accuracyDifferenceCi95</c> (paired bootstrap), <c>mcnemarP</c> (exact), <c>onlyARight</c>, <c>onlyBRight</c>.</item>
/// <item><c>best</c>: object, summary key (e.g. <c>accuracy</c>, <c>logLoss</c>, <c>topK.3</c>, <c>predictMillisecondsP50</c>) -> array of the labels with the
/// better value (empty when tied or not comparable).</item>
/// <item><c>tradeOff</c>: <c>kind</c> (<c>none</c>, <c>singlePipeline</c>, <c>tie</c>, <c>dominates</c>, <c>tradeOff</c>), <c>sentence</c>,
/// <c>moreAccurate</c>, <c>faster</c>, <c>recommended</c> (labels or <c>null</c>).</item>
/// <item><c>selection</c>, <c>learningCurve</c>, <c>folds</c>: the studies (<see cref="ComparisonStudies"/>), empty arrays when not run.</item>
/// </list>
/// </summary>
public static class ReportJson
{
    /// <summary>The report.json document.</summary>
    public static ReportFile Document(ComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var labels = ReportAnalysis.Labels(result);
        var trade = ReportAnalysis.TradeOff(result);
        var pairs = ReportAnalysis.Pairs(result);
        var statistics = ComparisonStatistics.Compute(result, pairs);
        string? Label(int? i) => i is { } x ? labels[x] : null;
        return new ReportFile(
            result.Dataset,
            result.Command,
            result.Machine,
            ResultJson.Timestamp(result.CreatedUtc),
            result.Seed,
            result.RunSeconds,
            result.PeakWorkingSetBytes > 0 ? result.PeakWorkingSetBytes : null,
            [.. result.Results.Select((run, i) => ReportRun.From(run, labels[i], statistics.Runs[i]))],
            [.. pairs.Select(p => new ReportDisagreement(labels[p.A], labels[p.B], p.Matched, p.BothCorrect, p.BothWrong, p.OnlyACorrect.Count, p.OnlyBCorrect.Count))],
            ReportAnalysis.Summary(result).ToDictionary(row => row.Key, row => (IReadOnlyList<string>)[.. row.Best.Select(i => labels[i])], StringComparer.Ordinal),
            new ReportVerdict(JsonNamingPolicy.CamelCase.ConvertName(trade.Kind.ToString()), trade.Sentence, Label(trade.MoreAccurate), Label(trade.Faster), Label(trade.Recommended)),
            [.. statistics.Pairs.Select(p => ReportPairwise.From(p, labels, result.Dataset.Name))])
        {
            Selection = result.Studies.Selection,
            LearningCurve = result.Studies.LearningCurve,
            Folds = result.Studies.Folds,
        };

    }

    /// <summary>The report.json text (indented, UTF-8 without BOM when written through <see cref="AtomicFile"/>).</summary>
    public static string ToText(ComparisonResult result) => ResultJson.ToText(Document(result));
}

/// <summary>report.json (keys in <c>README-report-json.md</c>).</summary>
public sealed record ReportFile(
    DatasetSummary Dataset,
    string Command,
    string Machine,
    string CreatedUtc,
    int Seed,
    double RunSeconds,
    long? PeakWorkingSetBytes,
    IReadOnlyList<ReportRun> Results,
    IReadOnlyList<ReportDisagreement> Disagreements,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Best,
    ReportVerdict TradeOff,
    IReadOnlyList<ReportPairwise> Pairwise)
{
    /// <summary>The trainer chosen per pipeline on the validation split (<c>--trainers auto</c>); empty otherwise.</summary>
    public IReadOnlyList<TrainerSelection> Selection { get; init; } = [];

    /// <summary>Learning-curve points (<c>--learning-curve</c>); empty with <c>none</c>.</summary>
    public IReadOnlyList<LearningCurvePoint> LearningCurve { get; init; } = [];

    /// <summary>k-fold cross-validation per pipeline (<c>--folds</c>); empty otherwise.</summary>
    public IReadOnlyList<FoldSummary> Folds { get; init; } = [];
}

/// <summary>One pipeline in report.json: what it is, its evaluation figures (<see cref="MetricsFigures"/>), then its costs.</summary>
public sealed record ReportRun : MetricsFigures
{
    [JsonPropertyOrder(-4)]
    public required string Pipeline { get; init; }

    [JsonPropertyOrder(-3)]
    public required string Trainer { get; init; }

    [JsonPropertyOrder(-2)]
    public required string FeatureSet { get; init; }

    /// <summary>Unique display label (see <see cref="ReportAnalysis.Labels"/>).</summary>
    [JsonPropertyOrder(-1)]
    public required string Label { get; init; }

    [JsonPropertyOrder(1)]
    public required double FeaturizeImagesPerSecond { get; init; }

    [JsonPropertyOrder(2)]
    public required int FeatureCacheHits { get; init; }

    [JsonPropertyOrder(3)]
    public required double TrainSeconds { get; init; }

    [JsonPropertyOrder(4)]
    public required double PredictMillisecondsP50 { get; init; }

    [JsonPropertyOrder(5)]
    public required double PredictMillisecondsP95 { get; init; }

    [JsonPropertyOrder(6)]
    public required double BatchImagesPerSecond { get; init; }

    [JsonPropertyOrder(7)]
    public required long ModelBytes { get; init; }

    [JsonPropertyOrder(8)]
    public required long PeakWorkingSetBytes { get; init; }

    [JsonPropertyOrder(9)]
    public required string ModelPath { get; init; }

    /// <summary>Wilson 95 % interval of <see cref="MetricsFigures.Accuracy"/>: [low, high].</summary>
    [JsonPropertyOrder(20)]
    public required IReadOnlyList<double> AccuracyCi95 { get; init; }

    /// <summary>Bootstrap 95 % interval of <see cref="MetricsFigures.MacroF1"/>: [low, high].</summary>
    [JsonPropertyOrder(21)]
    public required IReadOnlyList<double> MacroF1Ci95 { get; init; }

    /// <summary>Accuracy on the training features (null when not known).</summary>
    [JsonPropertyOrder(22)]
    public required double TrainAccuracy { get; init; }

    /// <summary>Expected calibration error of the test predictions.</summary>
    [JsonPropertyOrder(23)]
    public required double Ece { get; init; }

    [SetsRequiredMembers]
    private ReportRun(PipelineRun run, string label, RunStatistics statistics)
        : base(MetricsFigures.From(run.Metrics))
    {
        AccuracyCi95 = [statistics.AccuracyCi95.Low, statistics.AccuracyCi95.High];
        MacroF1Ci95 = [statistics.MacroF1Ci95.Low, statistics.MacroF1Ci95.High];
        TrainAccuracy = statistics.TrainAccuracy;
        Ece = statistics.Calibration.Ece;
        Pipeline = run.Pipeline;
        Trainer = run.Trainer;
        FeatureSet = run.FeatureSet;
        Label = label;
        FeaturizeImagesPerSecond = run.FeaturizeImagesPerSecond;
        FeatureCacheHits = run.FeatureCacheHits;
        TrainSeconds = run.TrainSeconds;
        PredictMillisecondsP50 = run.PredictMillisecondsP50;
        PredictMillisecondsP95 = run.PredictMillisecondsP95;
        BatchImagesPerSecond = run.BatchImagesPerSecond;
        ModelBytes = run.ModelBytes;
        PeakWorkingSetBytes = run.PeakWorkingSetBytes;
        ModelPath = run.ModelPath;
    }

    public static ReportRun From(PipelineRun run, string label, RunStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(statistics);
        return new ReportRun(run, label, statistics);
    }
}

/// <summary>How two pipelines differ image by image (labels of the pair; <c>b</c> ranks higher, see <see cref="PipelineRun.ComparisonRank"/>).</summary>
public sealed record ReportDisagreement(string A, string B, int Matched, int BothCorrect, int BothWrong, int OnlyACorrect, int OnlyBCorrect);

/// <summary>McNemar's test and the paired interval of one pair (labels; <c>b</c> ranks higher; the difference is <c>b</c> minus <c>a</c> on the matched images).</summary>
public sealed record ReportPairwise(string A, string B, string DatasetName, double AccuracyDifference, IReadOnlyList<double> AccuracyDifferenceCi95, [property: JsonPropertyName("mcnemarP")] double McNemarP, int OnlyARight, int OnlyBRight)
{
    public static ReportPairwise From(PairStatistics pair, IReadOnlyList<string> labels, string datasetName)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(labels);
        return new ReportPairwise(labels[pair.A], labels[pair.B], datasetName, pair.AccuracyDifference, [pair.AccuracyDifferenceCi95.Low, pair.AccuracyDifferenceCi95.High], pair.McNemarP, pair.OnlyARight, pair.OnlyBRight);
    }
}

/// <summary>The accuracy-versus-cost verdict with pipelines named by label.</summary>
public sealed record ReportVerdict(string Kind, string Sentence, string? MoreAccurate, string? Faster, string? Recommended);
