using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>
/// How the report words an accuracy difference: "significantly" only when McNemar's exact test gives p below
/// <see cref="McNemar.SignificanceLevel"/>; otherwise it says the difference is not significant at this test size, and gives it.
/// </summary>
internal static class SignificanceText
{
    /// <summary>"p = 0.375" or "p &lt; 0.001".</summary>
    public static string P(double p) => p < 0.001 ? "p < 0.001" : $"p = {Figures.PValue(p)}";

    /// <summary>
    /// What follows "X is" in the verdict when X (B of <paramref name="pair"/>) is the more accurate:
    /// "significantly more accurate (0.85 vs 0.80, 5.0 points; McNemar p = 0.003 on 500 test images)" or
    /// "5.0 points more accurate (0.85 vs 0.80; not a significant difference at 500 test images, McNemar p = 0.120)";
    /// without matched images, no test: "5.0 points more accurate (0.85 vs 0.80)".
    /// </summary>
    public static string MoreAccurate(PairComparison pair, string points, string more, string less)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (pair.Matched == 0)
        {
            return $"{points} points more accurate ({more} vs {less})";
        }

        var p = McNemar.ExactP(pair.OnlyACorrect.Count, pair.OnlyBCorrect.Count);
        var images = Figures.Count(pair.Matched);
        return McNemar.IsSignificant(p)
            ? $"significantly more accurate ({more} vs {less}, {points} points; McNemar {P(p)} on {images} test images)"
            : $"{points} points more accurate ({more} vs {less}; not a significant difference at {images} test images, McNemar {P(p)})";
    }

    /// <summary>One sentence on a pair: which is significantly more accurate, or that at this test size neither is.</summary>
    public static string Pair(ComparisonResult result, PairStatistics pair)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(pair);
        var (a, b) = (ReportAnalysis.Name(result, pair.A), ReportAnalysis.Name(result, pair.B));
        if (pair.Matched == 0)
        {
            return $"{ReportAnalysis.Capitalize(a)} and {b} share no test image (matched by name), so they cannot be tested against each other.";
        }

        var counts = $"only {b} right on {Figures.Count(pair.OnlyBRight)} images, only {a} right on {Figures.Count(pair.OnlyARight)}";
        var difference = $"{Figures.Points(Math.Abs(pair.AccuracyDifference))} points, 95 % interval of {b} minus {a} {Figures.SignedInterval(pair.AccuracyDifferenceCi95)}";
        if (pair.Significant)
        {
            var (winner, loser) = pair.AccuracyDifference > 0 ? (b, a) : (a, b);
            return $"{ReportAnalysis.Capitalize(winner)} is significantly more accurate than {loser} on {Figures.Count(pair.Matched)} test images ({difference}; {counts}; McNemar {P(pair.McNemarP)}).";
        }

        return $"At {Figures.Count(pair.Matched)} test images there is no significant difference in accuracy between {a} and {b} ({difference}; {counts}; McNemar {P(pair.McNemarP)}).";
    }
}
