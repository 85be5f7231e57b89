using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ImageWorkbench.Pipeline.Evaluation;

namespace ImageWorkbench.Pipeline.Results;

/// <summary>
/// The JSON shape of an evaluation, shared by <c>evaluate --json</c> and the comparison report: <c>count</c>, <c>accuracy</c>,
/// <c>macroAccuracy</c>, <c>macroF1</c>, <c>logLoss</c>, <c>topK</c> (k -> accuracy), <c>classes</c>, <c>perClass</c> (class, precision,
/// recall, f1, support), <c>confusionMatrix</c> (rows true, columns predicted).
/// </summary>
public record MetricsFigures
{
    public required int Count { get; init; }

    public required double Accuracy { get; init; }

    public required double MacroAccuracy { get; init; }

    public required double MacroF1 { get; init; }

    public required double LogLoss { get; init; }

    /// <summary>"1", "3", "5" -> top-k accuracy, in increasing k; k is present only when there are more than k classes.</summary>
    public required IReadOnlyDictionary<string, double> TopK { get; init; }

    public required IReadOnlyList<string> Classes { get; init; }

    public required IReadOnlyList<ClassFigures> PerClass { get; init; }

    public required IReadOnlyList<IReadOnlyList<int>> ConfusionMatrix { get; init; }

    /// <summary>The figures of <paramref name="metrics"/> (the scored images are not part of them).</summary>
    public static MetricsFigures From(ClassificationMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return new MetricsFigures
        {
            Count = metrics.Count,
            Accuracy = metrics.Accuracy,
            MacroAccuracy = metrics.MacroAccuracy,
            MacroF1 = metrics.MacroF1,
            LogLoss = metrics.LogLoss,
            TopK = TopKOf(metrics),
            Classes = metrics.Classes,
            PerClass = [.. metrics.PerClass.Select(p => new ClassFigures(p.Class, p.Precision, p.Recall, p.F1, p.Support))],
            ConfusionMatrix = metrics.ConfusionMatrix,
        };
    }

    private static Dictionary<string, double> TopKOf(ClassificationMetrics metrics) =>
        metrics.TopKAccuracy.OrderBy(p => p.Key).ToDictionary(p => p.Key.ToString(CultureInfo.InvariantCulture), p => p.Value, StringComparer.Ordinal);
}

/// <summary>One class's figures in <see cref="MetricsFigures.PerClass"/>.</summary>
public sealed record ClassFigures([property: JsonPropertyName("class")] string Class, double Precision, double Recall, double F1, int Support);

/// <summary><c>evaluate --json</c>: the evaluation figures plus what was evaluated.</summary>
public sealed record EvaluationFile : MetricsFigures
{
    /// <summary>The figures of an evaluation; set <see cref="Model"/>, <see cref="Dataset"/> and <see cref="Skipped"/> too.</summary>
    [SetsRequiredMembers]
    public EvaluationFile(MetricsFigures figures)
        : base(figures)
    {
        Model = Dataset = string.Empty;
    }

    /// <summary>Full path of the evaluated model package.</summary>
    public required string Model { get; init; }

    /// <summary>Data set name.</summary>
    public required string Dataset { get; init; }

    /// <summary>Images skipped as undecodable.</summary>
    public required int Skipped { get; init; }
}

/// <summary>Writes <see cref="MetricsFigures"/> through <see cref="ResultJson.Options"/>.</summary>
public static class MetricsJson
{
    /// <summary>The evaluation as a JSON object (serialised from <see cref="MetricsFigures"/>, not built by hand), for callers that add keys.</summary>
    public static JsonObject ToJson(ClassificationMetrics metrics) =>
        JsonSerializer.SerializeToNode(MetricsFigures.From(metrics), ResultJson.Options)!.AsObject();
}
