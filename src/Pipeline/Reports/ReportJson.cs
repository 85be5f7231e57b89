using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>
/// The machine-readable comparison, <c>report.json</c>. Keys are stable; numbers are JSON numbers (invariant culture);
/// a figure that was not measured (NaN or infinite) is <c>null</c>.
/// <list type="bullet">
/// <item><c>dataset</c>: <c>name</c>, <c>location</c>, <c>classes</c> (array of names, label order), <c>trainCount</c>, <c>testCount</c>.</item>
/// <item><c>command</c> (string), <c>machine</c> (string), <c>createdUtc</c> (ISO 8601, e.g. <c>2025-01-31T12:00:00.000Z</c>), <c>seed</c> (integer),
/// <c>runSeconds</c> (wall time of the whole comparison, data loading and report writing excluded), <c>peakWorkingSetBytes</c> (of the process, by the end).</item>
/// <item><c>results</c>: one object per pipeline, in run order: <c>pipeline</c>, <c>trainer</c>, <c>featureSet</c>, <c>label</c> (unique display label),
/// then the evaluation keys of <see cref="MetricsJson"/>: <c>count</c>, <c>accuracy</c>, <c>macroAccuracy</c>, <c>macroF1</c>, <c>logLoss</c>,
/// <c>topK</c> (object "1"/"3"/"5" -> accuracy, k present only when there are more than k classes), <c>classes</c>,
/// <c>perClass</c> (array of <c>class</c>, <c>precision</c>, <c>recall</c>, <c>f1</c>, <c>support</c>),
/// <c>confusionMatrix</c> (rows true class, columns predicted class, counts); then the costs: <c>featurizeImagesPerSecond</c>,
/// <c>trainSeconds</c>, <c>predictMillisecondsP50</c>, <c>predictMillisecondsP95</c>, <c>batchImagesPerSecond</c>, <c>modelBytes</c>,
/// <c>peakWorkingSetBytes</c>, <c>modelPath</c>.</item>
/// <item><c>disagreements</c>: one object per pair of pipelines (for two pipelines, one object): <c>a</c>, <c>b</c> (pipeline labels; <c>b</c> is the
/// CNN when one of the pair is), <c>matched</c> (test images matched by name), <c>bothCorrect</c>, <c>bothWrong</c>, <c>onlyACorrect</c>, <c>onlyBCorrect</c>.</item>
/// <item><c>best</c>: object, summary key (e.g. <c>accuracy</c>, <c>logLoss</c>, <c>topK.3</c>, <c>predictMillisecondsP50</c>) -> array of the labels with the
/// better value (empty when tied or not comparable).</item>
/// <item><c>tradeOff</c>: <c>kind</c> (<c>none</c>, <c>singlePipeline</c>, <c>tie</c>, <c>dominates</c>, <c>tradeOff</c>), <c>sentence</c>,
/// <c>moreAccurate</c>, <c>faster</c>, <c>recommended</c> (labels or <c>null</c>).</item>
/// </list>
/// </summary>
public static class ReportJson
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The report.json document.</summary>
    public static JsonObject Build(ComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var labels = ReportAnalysis.Labels(result);
        var results = new JsonArray();
        for (var i = 0; i < result.Results.Count; i++)
        {
            var run = result.Results[i];
            var o = new JsonObject
            {
                ["pipeline"] = run.Pipeline,
                ["trainer"] = run.Trainer,
                ["featureSet"] = run.FeatureSet,
                ["label"] = labels[i],
            };
            foreach (var (key, value) in MetricsJson.ToJson(run.Metrics))
            {
                o[key] = value?.DeepClone();
            }

            o["featurizeImagesPerSecond"] = Number(run.FeaturizeImagesPerSecond);
            o["featureCacheHits"] = run.FeatureCacheHits;
            o["trainSeconds"] = Number(run.TrainSeconds);
            o["predictMillisecondsP50"] = Number(run.PredictMillisecondsP50);
            o["predictMillisecondsP95"] = Number(run.PredictMillisecondsP95);
            o["batchImagesPerSecond"] = Number(run.BatchImagesPerSecond);
            o["modelBytes"] = run.ModelBytes;
            o["peakWorkingSetBytes"] = run.PeakWorkingSetBytes;
            o["modelPath"] = run.ModelPath;
            results.Add(o);
        }

        var disagreements = new JsonArray();
        foreach (var pair in ReportAnalysis.Pairs(result))
        {
            disagreements.Add(new JsonObject
            {
                ["a"] = labels[pair.A],
                ["b"] = labels[pair.B],
                ["matched"] = pair.Matched,
                ["bothCorrect"] = pair.BothCorrect,
                ["bothWrong"] = pair.BothWrong,
                ["onlyACorrect"] = pair.OnlyACorrect.Count,
                ["onlyBCorrect"] = pair.OnlyBCorrect.Count,
            });
        }

        var best = new JsonObject();
        foreach (var row in ReportAnalysis.Summary(result))
        {
            best[row.Key] = new JsonArray(row.Best.Select(i => (JsonNode?)JsonValue.Create(labels[i])).ToArray());
        }

        var trade = ReportAnalysis.TradeOff(result);
        string? Label(int? i) => i is { } x ? labels[x] : null;

        return new JsonObject
        {
            ["dataset"] = new JsonObject
            {
                ["name"] = result.Dataset.Name,
                ["location"] = result.Dataset.Location,
                ["classes"] = new JsonArray(result.Dataset.Classes.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
                ["trainCount"] = result.Dataset.TrainCount,
                ["testCount"] = result.Dataset.TestCount,
            },
            ["command"] = result.Command,
            ["machine"] = result.Machine,
            ["createdUtc"] = result.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["seed"] = result.Seed,
            ["runSeconds"] = Number(result.RunSeconds),
            ["peakWorkingSetBytes"] = result.PeakWorkingSetBytes > 0 ? JsonValue.Create(result.PeakWorkingSetBytes) : null,
            ["results"] = results,
            ["disagreements"] = disagreements,
            ["best"] = best,
            ["tradeOff"] = new JsonObject
            {
                ["kind"] = JsonNamingPolicy.CamelCase.ConvertName(trade.Kind.ToString()),
                ["sentence"] = trade.Sentence,
                ["moreAccurate"] = Label(trade.MoreAccurate),
                ["faster"] = Label(trade.Faster),
                ["recommended"] = Label(trade.Recommended),
            },
        };
    }

    /// <summary>The report.json text (indented, UTF-8 without BOM when written through <see cref="AtomicFile"/>).</summary>
    public static string ToText(ComparisonResult result) => Build(result).ToJsonString(Indented) + "\n";

    private static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;
}
