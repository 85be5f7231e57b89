using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>The uncertainty, calibration and over-fitting figures of one pipeline run.</summary>
/// <param name="AccuracyCi95">Wilson 95 % interval of the test accuracy (<see cref="Intervals.Wilson"/>).</param>
/// <param name="MacroF1Ci95">Seeded bootstrap 95 % interval of the macro F1 (<see cref="Bootstrap.MacroF1"/>).</param>
/// <param name="TrainAccuracy">Accuracy on the training features (<see cref="PipelineRun.TrainAccuracy"/>); NaN when not known.</param>
/// <param name="Calibration">Reliability bins and expected calibration error of the test predictions.</param>
public sealed record RunStatistics((double Low, double High) AccuracyCi95, (double Low, double High) MacroF1Ci95, double TrainAccuracy, CalibrationSummary Calibration)
{
    /// <summary>Train minus test accuracy: how much better the model does on what it was fitted on; NaN when train accuracy is not known.</summary>
    public double OverfittingGap(PipelineRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return TrainAccuracy - run.Metrics.Accuracy;
    }
}

/// <summary>McNemar's exact test and the paired bootstrap interval for one pair of pipelines (<see cref="PairComparison"/>'s A and B).</summary>
/// <param name="A">Index of the first pipeline.</param>
/// <param name="B">Index of the second (the higher-ranked; differences read "B minus A").</param>
/// <param name="Matched">Test images scored by both (matched by name).</param>
/// <param name="OnlyARight">Matched images only A got right.</param>
/// <param name="OnlyBRight">Matched images only B got right.</param>
/// <param name="AccuracyDifference">B's accuracy minus A's on the matched images; NaN when none matched.</param>
/// <param name="AccuracyDifferenceCi95">Paired bootstrap 95 % interval of <paramref name="AccuracyDifference"/>.</param>
/// <param name="McNemarP">Exact two-sided p-value of "equally accurate" (<see cref="McNemar.ExactP"/>); NaN when none matched.</param>
public sealed record PairStatistics(int A, int B, int Matched, int OnlyARight, int OnlyBRight, double AccuracyDifference, (double Low, double High) AccuracyDifferenceCi95, double McNemarP)
{
    /// <summary>Whether the accuracy difference is significant (p below <see cref="McNemar.SignificanceLevel"/>).</summary>
    public bool Significant => Matched > 0 && McNemar.IsSignificant(McNemarP);
}

/// <summary>
/// Every interval and paired test the report shows, computed once from a <see cref="ComparisonResult"/> alone (the scored test
/// images carry what they need) with the result's seed, so the same result gives the same figures.
/// </summary>
public sealed record ComparisonStatistics(IReadOnlyList<RunStatistics> Runs, IReadOnlyList<PairStatistics> Pairs)
{
    public static ComparisonStatistics Compute(ComparisonResult result) => Compute(result, ReportAnalysis.Pairs(result));

    /// <summary>The figures of <paramref name="result"/>, for the pairs already compared (<see cref="ReportAnalysis.Pairs"/>).</summary>
    public static ComparisonStatistics Compute(ComparisonResult result, IReadOnlyList<PairComparison> pairs)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(pairs);
        return new ComparisonStatistics([.. result.Results.Select(run => Run(run, result.Seed))], [.. pairs.Select(p => Pair(p, result.Seed))]);
    }

    /// <summary>The figures of one run; <paramref name="seed"/> seeds the bootstrap.</summary>
    public static RunStatistics Run(PipelineRun run, int seed)
    {
        ArgumentNullException.ThrowIfNull(run);
        var m = run.Metrics;
        var correct = m.Scored.Count(s => s.Correct);
        return new RunStatistics(
            Intervals.Wilson(correct, m.Scored.Count),
            Bootstrap.MacroF1([.. m.Scored.Select(s => s.TrueLabel)], [.. m.Scored.Select(s => s.PredictedLabel)], m.Classes.Count, seed),
            run.TrainAccuracy,
            Calibration.Compute(m.Scored));
    }

    /// <summary>The paired figures of one compared pair; <paramref name="seed"/> seeds the bootstrap.</summary>
    public static PairStatistics Pair(PairComparison pair, int seed)
    {
        ArgumentNullException.ThrowIfNull(pair);
        var (onlyA, onlyB) = (pair.OnlyACorrect.Count, pair.OnlyBCorrect.Count);
        if (pair.Matched == 0)
        {
            return new PairStatistics(pair.A, pair.B, 0, onlyA, onlyB, double.NaN, (double.NaN, double.NaN), double.NaN);
        }

        // The difference depends only on each image's pair of outcomes, so the images are listed by outcome.
        var outcomes = new List<(bool A, bool B)>(pair.Matched);
        outcomes.AddRange(Enumerable.Repeat((true, true), pair.BothCorrect));
        outcomes.AddRange(Enumerable.Repeat((false, false), pair.BothWrong));
        outcomes.AddRange(Enumerable.Repeat((true, false), onlyA));
        outcomes.AddRange(Enumerable.Repeat((false, true), onlyB));
        return new PairStatistics(
            pair.A,
            pair.B,
            pair.Matched,
            onlyA,
            onlyB,
            (onlyB - onlyA) / (double)pair.Matched,
            Bootstrap.AccuracyDifference(outcomes, seed),
            McNemar.ExactP(onlyA, onlyB));
    }
}
