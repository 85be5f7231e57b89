namespace ImageWorkbench.Pipeline.Evaluation;

/// <summary>
/// Confidence intervals shared by every figure the workbench compares. One place, so a report's accuracy interval,
/// a learning-curve point's interval and a cross-validation summary are computed the same way.
/// </summary>
public static class Intervals
{
    /// <summary>The normal quantile of a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// Wilson score interval for a proportion (e.g. accuracy = correct / n). Unlike the normal approximation it stays
    /// inside [0, 1] and behaves at 0 and n correct, which small test sets hit.
    /// </summary>
    public static (double Low, double High) Wilson(int successes, int n, double z = Z95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes, n);
        if (n == 0)
        {
            return (0, 1);
        }

        double p = (double)successes / n;
        double z2 = z * z;
        double denominator = 1 + z2 / n;
        double centre = (p + z2 / (2.0 * n)) / denominator;
        double halfWidth = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denominator;
        return (Math.Max(0, centre - halfWidth), Math.Min(1, centre + halfWidth));
    }
}
