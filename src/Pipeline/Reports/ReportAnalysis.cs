using System.Globalization;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>How a summary figure is shown.</summary>
public enum MetricKind
{
    /// <summary>A fraction in 0..1 (accuracy, F1).</summary>
    Ratio,

    /// <summary>Log-loss (nats).</summary>
    LogLoss,

    /// <summary>Images per second.</summary>
    Rate,

    /// <summary>Seconds.</summary>
    Seconds,

    /// <summary>Milliseconds.</summary>
    Milliseconds,

    /// <summary>Bytes.</summary>
    Bytes,
}

/// <summary>One row of the side-by-side summary: a figure for every pipeline and which of them is best.</summary>
/// <param name="Key">The report.json key of the figure.</param>
/// <param name="Name">Human-readable name.</param>
/// <param name="HigherIsBetter">Direction of "better".</param>
/// <param name="Kind">Unit, for formatting.</param>
/// <param name="Values">One value per pipeline in result order; <see cref="double.NaN"/> when not measured.</param>
/// <param name="Best">Indices of the pipelines with the best value; empty when fewer than two were measured or all are equal.</param>
public sealed record SummaryRow(string Key, string Name, bool HigherIsBetter, MetricKind Kind, IReadOnlyList<double> Values, IReadOnlyList<int> Best);

/// <summary>Which case the accuracy-versus-cost sentence describes.</summary>
public enum TradeOffKind
{
    /// <summary>No pipeline ran.</summary>
    None,

    /// <summary>Only one pipeline ran.</summary>
    SinglePipeline,

    /// <summary>Accuracies within 0.5 point: the cheaper one is recommended.</summary>
    Tie,

    /// <summary>The more accurate pipeline is also as fast or faster.</summary>
    Dominates,

    /// <summary>The more accurate pipeline is slower.</summary>
    TradeOff,
}

/// <summary>The accuracy-versus-cost verdict.</summary>
/// <param name="Kind">Which case applies.</param>
/// <param name="Sentence">One sentence a user can act on.</param>
/// <param name="MoreAccurate">Index of the more accurate pipeline (null for a tie or a single pipeline).</param>
/// <param name="Faster">Index of the pipeline with the lower p50 latency (null when not comparable).</param>
/// <param name="Recommended">Index of the pipeline the sentence tells to choose unconditionally (null when it depends on priorities).</param>
public sealed record TradeOff(TradeOffKind Kind, string Sentence, int? MoreAccurate, int? Faster, int? Recommended);

/// <summary>F1 of one class under two pipelines.</summary>
public sealed record ClassDifference(string Class, int Support, double F1A, double F1B)
{
    /// <summary>F1 of B minus F1 of A: positive where B wins.</summary>
    public double Difference => F1B - F1A;
}

/// <summary>The same test image scored by two pipelines.</summary>
public sealed record ImagePair(ScoredImage A, ScoredImage B);

/// <summary>How two pipelines differ image by image and class by class. B is the one with the higher <see cref="PipelineRun.ComparisonRank"/> (the CNN against the hand-crafted pipeline).</summary>
/// <param name="A">Index of the first pipeline.</param>
/// <param name="B">Index of the second pipeline.</param>
/// <param name="Matched">Test images found (by name) in both.</param>
/// <param name="BothCorrect">Matched images both got right.</param>
/// <param name="BothWrong">Matched images both got wrong.</param>
/// <param name="OnlyACorrect">Images A got right and B wrong, B's most confident mistakes first.</param>
/// <param name="OnlyBCorrect">Images B got right and A wrong, A's most confident mistakes first.</param>
/// <param name="ClassDifferences">Per-class F1 of both, largest B-minus-A difference first.</param>
public sealed record PairComparison(int A, int B, int Matched, int BothCorrect, int BothWrong, IReadOnlyList<ImagePair> OnlyACorrect, IReadOnlyList<ImagePair> OnlyBCorrect, IReadOnlyList<ClassDifference> ClassDifferences);

/// <summary>The comparisons the report shows, computed from a <see cref="ComparisonResult"/> alone.</summary>
public static class ReportAnalysis
{
    /// <summary>Accuracies closer than this (0.5 point) count as a tie.</summary>
    public const double TieAccuracy = 0.005;

    /// <summary>Latencies within this factor count as "about as fast".</summary>
    public const double SameSpeedFactor = 1.1;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Short unique label of each pipeline run: the pipeline name, plus trainer and feature set when names repeat.</summary>
    public static IReadOnlyList<string> Labels(ComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var runs = result.Results;
        var labels = new string[runs.Count];
        for (var i = 0; i < runs.Count; i++)
        {
            var r = runs[i];
            var samePipeline = runs.Count(x => x.Pipeline == r.Pipeline);
            labels[i] = samePipeline == 1 ? r.Pipeline
                : runs.Count(x => x.Pipeline == r.Pipeline && x.Trainer == r.Trainer) == 1 ? $"{r.Pipeline} ({r.Trainer})"
                : $"{r.Pipeline} ({r.Trainer}, {r.FeatureSet})";
        }

        // Fall back to numbering if labels still collide.
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels.Count(l => l == labels[i]) > 1)
            {
                labels[i] = $"{labels[i]} #{(i + 1).ToString(Inv)}";
            }
        }

        return labels;
    }

    /// <summary>The side-by-side summary: quality then cost figures, with the best pipeline per row.</summary>
    public static IReadOnlyList<SummaryRow> Summary(ComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var runs = result.Results;
        var rows = new List<SummaryRow>();

        void Add(string key, string name, bool higher, MetricKind kind, Func<PipelineRun, double> value, bool cost, Func<PipelineRun, bool>? unranked = null)
        {
            var values = runs.Select(r =>
            {
                var v = value(r);
                return !double.IsFinite(v) || (cost && v <= 0) ? double.NaN : v;
            }).ToArray();
            var ranked = values.Select((v, i) => unranked?.Invoke(runs[i]) == true ? double.NaN : v).ToArray();
            rows.Add(new SummaryRow(key, name, higher, kind, values, BestOf(ranked, higher)));
        }

        Add("accuracy", "Accuracy", true, MetricKind.Ratio, r => r.Metrics.Accuracy, false);
        Add("macroAccuracy", "Macro accuracy", true, MetricKind.Ratio, r => r.Metrics.MacroAccuracy, false);
        Add("macroF1", "Macro F1", true, MetricKind.Ratio, r => r.Metrics.MacroF1, false);
        Add("logLoss", "Log-loss", false, MetricKind.LogLoss, r => r.Metrics.LogLoss, false);
        foreach (var k in runs.SelectMany(r => r.Metrics.TopKAccuracy.Keys).Where(k => k > 1).Distinct().Order())
        {
            Add($"topK.{k.ToString(Inv)}", $"Top-{k.ToString(Inv)} accuracy", true, MetricKind.Ratio, r => r.Metrics.TopKAccuracy.TryGetValue(k, out var v) ? v : double.NaN, false);
        }

        // A rate served from the CNN feature cache measures a disk read, not featurization: shown, never ranked best.
        var cached = runs.Any(r => r.FeatureCacheHits > 0);
        Add("featurizeImagesPerSecond", cached ? "Featurization (images/s; cached runs not ranked)" : "Featurization (images/s)", true, MetricKind.Rate, r => r.FeaturizeImagesPerSecond, true, r => r.FeatureCacheHits > 0);
        Add("trainSeconds", "Training time", false, MetricKind.Seconds, r => r.TrainSeconds, true);
        Add("predictMillisecondsP50", "Prediction latency p50", false, MetricKind.Milliseconds, r => r.PredictMillisecondsP50, true);
        Add("predictMillisecondsP95", "Prediction latency p95", false, MetricKind.Milliseconds, r => r.PredictMillisecondsP95, true);
        Add("batchImagesPerSecond", "Batch throughput (images/s)", true, MetricKind.Rate, r => r.BatchImagesPerSecond, true);
        Add("modelBytes", "Model file size", false, MetricKind.Bytes, r => r.ModelBytes, true);
        Add("peakWorkingSetBytes", "Peak working set", false, MetricKind.Bytes, r => r.PeakWorkingSetBytes, true);
        return rows;
    }

    /// <summary>Indices of the best measured values; empty when fewer than two are measured or all measured values are equal.</summary>
    public static IReadOnlyList<int> BestOf(IReadOnlyList<double> values, bool higherIsBetter)
    {
        ArgumentNullException.ThrowIfNull(values);
        var measured = Enumerable.Range(0, values.Count).Where(i => double.IsFinite(values[i])).ToArray();
        if (measured.Length < 2)
        {
            return [];
        }

        var best = higherIsBetter ? measured.Max(i => values[i]) : measured.Min(i => values[i]);
        var tolerance = 1e-12 * Math.Max(1, Math.Abs(best));
        var winners = measured.Where(i => Math.Abs(values[i] - best) <= tolerance).ToArray();
        return winners.Length == measured.Length ? [] : winners;
    }

    /// <summary>Every pair of pipelines to compare; B is the run with the higher <see cref="PipelineRun.ComparisonRank"/> (run order on equal ranks).</summary>
    public static IReadOnlyList<PairComparison> Pairs(ComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var pairs = new List<PairComparison>();
        for (var i = 0; i < result.Results.Count; i++)
        {
            for (var j = i + 1; j < result.Results.Count; j++)
            {
                var swap = result.Results[i].ComparisonRank > result.Results[j].ComparisonRank;
                pairs.Add(Compare(result, swap ? j : i, swap ? i : j));
            }
        }

        return pairs;
    }

    /// <summary>Image-by-image and class-by-class comparison of pipelines <paramref name="a"/> and <paramref name="b"/>; images are matched by name.</summary>
    public static PairComparison Compare(ComparisonResult result, int a, int b)
    {
        ArgumentNullException.ThrowIfNull(result);
        var ma = result.Results[a].Metrics;
        var mb = result.Results[b].Metrics;
        var byKeyB = Keyed(mb.Scored).ToDictionary(p => p.Key, p => p.Image, StringComparer.Ordinal);
        int matched = 0, bothCorrect = 0, bothWrong = 0;
        var onlyA = new List<ImagePair>();
        var onlyB = new List<ImagePair>();
        foreach (var (key, ia) in Keyed(ma.Scored))
        {
            if (!byKeyB.TryGetValue(key, out var ib))
            {
                continue;
            }

            matched++;
            switch (ia.Correct, ib.Correct)
            {
                case (true, true):
                    bothCorrect++;
                    break;
                case (false, false):
                    bothWrong++;
                    break;
                case (true, false):
                    onlyA.Add(new ImagePair(ia, ib));
                    break;
                default:
                    onlyB.Add(new ImagePair(ia, ib));
                    break;
            }
        }

        var f1B = mb.PerClass.GroupBy(c => c.Class, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var differences = ma.PerClass
            .Where(c => f1B.ContainsKey(c.Class))
            .Select(c => new ClassDifference(c.Class, c.Support, c.F1, f1B[c.Class].F1))
            .OrderByDescending(d => d.Difference)
            .ThenBy(d => d.Class, StringComparer.Ordinal)
            .ToArray();

        return new PairComparison(
            a,
            b,
            matched,
            bothCorrect,
            bothWrong,
            [.. onlyA.OrderByDescending(p => p.B.Confidence).ThenBy(p => p.A.Index)],
            [.. onlyB.OrderByDescending(p => p.A.Confidence).ThenBy(p => p.A.Index)],
            differences);
    }

    /// <summary>The misclassified test images of one pipeline, most confident mistakes first.</summary>
    public static IReadOnlyList<ScoredImage> Mistakes(PipelineRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return [.. run.Metrics.Scored.Where(s => !s.Correct).OrderByDescending(s => s.Confidence).ThenBy(s => s.Index)];
    }

    /// <summary>The accuracy-versus-cost trade-off in one sentence, from the numbers.</summary>
    public static TradeOff TradeOff(ComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var runs = result.Results;
        if (runs.Count == 0)
        {
            return new TradeOff(TradeOffKind.None, "No pipeline ran, so there is nothing to compare.", null, null, null);
        }

        if (runs.Count == 1)
        {
            var only = runs[0];
            var sentence = $"Only {Name(result, 0)} ran ({Acc(only.Metrics.Accuracy)} accuracy, {Figures.Milliseconds(Figures.Cost(only.PredictMillisecondsP50))} per image, a {Figures.Bytes(Figures.Cost(only.ModelBytes))} model): run both pipelines to see what the other one would trade.";
            return new TradeOff(TradeOffKind.SinglePipeline, sentence, null, null, 0);
        }

        // The most accurate run against the fastest of the others (for two runs: against the other one).
        var m = Enumerable.Range(0, runs.Count).OrderByDescending(i => runs[i].Metrics.Accuracy).ThenBy(i => Figures.Cost(runs[i].PredictMillisecondsP50), NaNLast.Instance).First();
        var o = Enumerable.Range(0, runs.Count).Where(i => i != m)
            .OrderBy(i => Figures.Cost(runs[i].PredictMillisecondsP50), NaNLast.Instance)
            .ThenByDescending(i => runs[i].Metrics.Accuracy)
            .First();
        var rm = runs[m];
        var ro = runs[o];
        var accM = rm.Metrics.Accuracy;
        var accO = ro.Metrics.Accuracy;
        var (a, b) = AccPair(accM, accO);
        var pM = Figures.Cost(rm.PredictMillisecondsP50);
        var pO = Figures.Cost(ro.PredictMillisecondsP50);
        var sM = Figures.Cost(rm.ModelBytes);
        var sO = Figures.Cost(ro.ModelBytes);
        var latencyKnown = double.IsFinite(pM) && double.IsFinite(pO);
        int? faster = latencyKnown && pM != pO ? (pM < pO ? m : o) : null;
        var nameM = Name(result, m);
        var nameO = Name(result, o);

        if (accM - accO <= TieAccuracy + 1e-12)
        {
            // Tie: recommend the cheaper one, by latency first, then by model size.
            var both = $"{Capitalize(Name(result, Math.Min(m, o)))} and {Name(result, Math.Max(m, o))}";
            string sentence;
            int? recommended = null;
            if (latencyKnown && Ratio(pM, pO) >= SameSpeedFactor)
            {
                var c = pM < pO ? m : o;
                var other = c == m ? o : m;
                recommended = c;
                sentence = $"{both} are equally accurate ({a} vs {b}, within 0.5 point), but {Name(result, c)} predicts {Figures.Times(Ratio(pM, pO))} faster ({Ms(runs[c])} vs {Ms(runs[other])} per image) and its model is {Figures.Bytes(Figures.Cost(runs[c].ModelBytes))} vs {Figures.Bytes(Figures.Cost(runs[other].ModelBytes))}: choose {Name(result, c)}.";
            }
            else if (double.IsFinite(sM) && double.IsFinite(sO) && Ratio(sM, sO) >= SameSpeedFactor)
            {
                var c = sM < sO ? m : o;
                var other = c == m ? o : m;
                recommended = c;
                sentence = $"{both} are equally accurate ({a} vs {b}, within 0.5 point) and predict about as fast ({Ms(runs[m])} vs {Ms(runs[o])} per image), but {Name(result, c)} has the smaller model ({Figures.Bytes(Figures.Cost(runs[c].ModelBytes))} vs {Figures.Bytes(Figures.Cost(runs[other].ModelBytes))}): choose {Name(result, c)}.";
            }
            else
            {
                sentence = $"{both} are equally accurate ({a} vs {b}, within 0.5 point) and cost about the same ({Ms(runs[m])} vs {Ms(runs[o])} per image, models {Figures.Bytes(sM)} vs {Figures.Bytes(sO)}): either will do.";
            }

            return new TradeOff(TradeOffKind.Tie, sentence, null, faster, recommended);
        }

        var moreAccurate = SignificanceText.MoreAccurate(Compare(result, o, m), Figures.Points(accM - accO), a, b);
        if (!latencyKnown)
        {
            var sentence = $"{Capitalize(nameM)} is {moreAccurate}; prediction latency was not measured for both, so choose {nameM} unless its cost ({Figures.Bytes(sM)} model vs {Figures.Bytes(sO)}) rules it out.";
            return new TradeOff(TradeOffKind.Dominates, sentence, m, null, m);
        }

        var slowdown = pM / pO;
        if (slowdown <= SameSpeedFactor)
        {
            var speed = slowdown < 1 / SameSpeedFactor
                ? $"predicts {Figures.Times(1 / slowdown)} faster ({Ms(rm)} vs {Ms(ro)} per image)"
                : $"predicts about as fast ({Ms(rm)} vs {Ms(ro)} per image)";
            var sentence = $"{Capitalize(nameM)} is {moreAccurate} and {speed}, with a model of {Figures.Bytes(sM)} vs {Figures.Bytes(sO)}: choose {nameM}.";
            return new TradeOff(TradeOffKind.Dominates, sentence, m, faster, m);
        }

        var tradeSentence = $"{Capitalize(nameM)} is {moreAccurate} but predicts {Figures.Times(slowdown)} slower ({Ms(rm)} vs {Ms(ro)} per image) and its model is {Figures.Bytes(sM)} vs {Figures.Bytes(sO)}: choose {nameM} when accuracy matters more than latency, otherwise {nameO}.";
        return new TradeOff(TradeOffKind.TradeOff, tradeSentence, m, faster, null);
    }

    /// <summary>How a pipeline is named in prose: "the " + its <see cref="PipelineRun.DisplayName"/> (e.g. "the CNN"), or "the X pipeline".</summary>
    public static string Name(ComparisonResult result, int index)
    {
        ArgumentNullException.ThrowIfNull(result);
        var label = Labels(result)[index];
        var run = result.Results[index];
        return label == run.Pipeline && run.DisplayName.Length > 0 ? $"the {run.DisplayName}" : $"the {label} pipeline";
    }

    internal static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private static IEnumerable<(string Key, ScoredImage Image)> Keyed(IReadOnlyList<ScoredImage> scored)
    {
        // Names should be unique; if one repeats, its n-th occurrence matches the other pipeline's n-th occurrence.
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in scored)
        {
            var n = seen.TryGetValue(s.Name, out var c) ? c + 1 : 0;
            seen[s.Name] = n;
            yield return (n == 0 ? s.Name : $"{s.Name}\u0000{n.ToString(Inv)}", s);
        }
    }

    private static double Ratio(double x, double y) => Math.Max(x, y) / Math.Min(x, y);

    private static string Ms(PipelineRun run) => Figures.Milliseconds(Figures.Cost(run.PredictMillisecondsP50));

    private static string Acc(double accuracy) => accuracy.ToString("0.00", Inv);

    private static (string A, string B) AccPair(double x, double y)
    {
        var a = x.ToString("0.00", Inv);
        var b = y.ToString("0.00", Inv);
        return a == b && x != y ? (x.ToString("0.000", Inv), y.ToString("0.000", Inv)) : (a, b);
    }

    private sealed class NaNLast : IComparer<double>
    {
        public static readonly NaNLast Instance = new();

        public int Compare(double x, double y) => (double.IsNaN(x), double.IsNaN(y)) switch
        {
            (true, true) => 0,
            (true, false) => 1,
            (false, true) => -1,
            _ => x.CompareTo(y),
        };
    }
}
