using System.Text.Json.Nodes;

namespace ImageWorkbench.Pipeline.Evaluation;

/// <summary>The JSON shape of an evaluation, shared by <c>evaluate --json</c> and the comparison report.</summary>
public static class MetricsJson
{
    /// <summary>
    /// Keys: <c>count</c>, <c>accuracy</c>, <c>macroAccuracy</c>, <c>macroF1</c>, <c>logLoss</c>, <c>topK</c> (k -> accuracy),
    /// <c>classes</c>, <c>perClass</c> (class, precision, recall, f1, support), <c>confusionMatrix</c> (rows true, columns predicted).
    /// </summary>
    public static JsonObject ToJson(ClassificationMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var topK = new JsonObject();
        foreach (var (k, value) in metrics.TopKAccuracy.OrderBy(p => p.Key))
        {
            topK[k.ToString(System.Globalization.CultureInfo.InvariantCulture)] = value;
        }

        return new JsonObject
        {
            ["count"] = metrics.Count,
            ["accuracy"] = metrics.Accuracy,
            ["macroAccuracy"] = metrics.MacroAccuracy,
            ["macroF1"] = metrics.MacroF1,
            ["logLoss"] = metrics.LogLoss,
            ["topK"] = topK,
            ["classes"] = new JsonArray(metrics.Classes.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
            ["perClass"] = new JsonArray(metrics.PerClass.Select(p => (JsonNode?)new JsonObject
            {
                ["class"] = p.Class,
                ["precision"] = p.Precision,
                ["recall"] = p.Recall,
                ["f1"] = p.F1,
                ["support"] = p.Support,
            }).ToArray()),
            ["confusionMatrix"] = new JsonArray(metrics.ConfusionMatrix.Select(row => (JsonNode?)new JsonArray(row.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray())).ToArray()),
        };
    }
}
