namespace ImageWorkbench.Pipeline.Evaluation;

/// <summary>
/// McNemar's exact test for two classifiers scored on the same test images: only the discordant images count (those one
/// got right and the other wrong). Under "equally accurate" each discordant image is a fair coin, so the two-sided p-value
/// is twice the binomial tail of the smaller count, capped at 1 (the same value as an exact two-sided binomial test with
/// p = 1/2). Computed in log space, so tens of thousands of discordant images neither overflow nor underflow.
/// </summary>
public static class McNemar
{
    /// <summary>The usual threshold: a difference with p below it is called significant.</summary>
    public const double SignificanceLevel = 0.05;

    /// <summary>Exact two-sided p-value for <paramref name="onlyARight"/> images only A got right and <paramref name="onlyBRight"/> only B did.</summary>
    /// <returns>1 when there is no discordant image (nothing tells the two apart) or the counts are as even as they can be.</returns>
    public static double ExactP(int onlyARight, int onlyBRight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(onlyARight);
        ArgumentOutOfRangeException.ThrowIfNegative(onlyBRight);
        var n = onlyARight + onlyBRight;
        var k = Math.Min(onlyARight, onlyBRight);
        if (2 * k + 1 >= n)
        {
            return 1;
        }

        // log P(X <= k) for X ~ Binomial(n, 1/2) = log sum_i C(n, i) - n log 2, with C(n, i) built up term by term.
        var logTerms = new double[k + 1];
        var logChoose = 0.0;
        for (var i = 0; i <= k; i++)
        {
            logTerms[i] = logChoose;
            logChoose += Math.Log(n - i) - Math.Log(i + 1);
        }

        // The terms grow with i (i < n / 2), so the largest is the last.
        var max = logTerms[k];
        var sum = 0.0;
        foreach (var t in logTerms)
        {
            sum += Math.Exp(t - max);
        }

        var logTail = max + Math.Log(sum) - (n * Math.Log(2));
        return Math.Min(1, 2 * Math.Exp(logTail));
    }

    /// <summary>Whether <paramref name="p"/> is below <see cref="SignificanceLevel"/>.</summary>
    public static bool IsSignificant(double p) => p < SignificanceLevel;
}
