using ImageWorkbench.Pipeline.Data;

namespace ImageWorkbench.Pipeline.Evaluation;

/// <summary>
/// Seeded percentile bootstrap over test images: draw the test set again with replacement <see cref="Resamples"/> times,
/// compute the figure on each draw, and report the middle 95 % of the draws. The draws come from <see cref="SplitMix64"/>
/// with the run's seed, so the same seed and the same predictions give the same interval on every machine.
/// </summary>
public static class Bootstrap
{
    /// <summary>Draws per interval.</summary>
    public const int Resamples = 2000;

    /// <summary>
    /// The percentile interval of <paramref name="statistic"/> over <see cref="Resamples"/> draws of <paramref name="count"/>
    /// items; <paramref name="statistic"/> receives the drawn indices (a buffer reused between draws).
    /// </summary>
    /// <param name="count">Items to draw from (test images).</param>
    /// <param name="statistic">The figure computed on one draw.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="stream">Names the draw, so different figures may use their own streams.</param>
    /// <param name="level">Coverage, 0.95 by default.</param>
    /// <returns>(NaN, NaN) when there is nothing to draw.</returns>
    public static (double Low, double High) Interval(int count, Func<int[], double> statistic, int seed, string stream = "bootstrap", double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(statistic);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0)
        {
            return (double.NaN, double.NaN);
        }

        var rng = new SplitMix64(seed, string.Empty, stream);
        var indices = new int[count];
        var values = new double[Resamples];
        for (var r = 0; r < Resamples; r++)
        {
            for (var i = 0; i < count; i++)
            {
                indices[i] = rng.Next(count);
            }

            values[r] = statistic(indices);
        }

        Array.Sort(values);
        var tail = (1 - level) / 2;
        return (Quantile(values, tail), Quantile(values, 1 - tail));
    }

    /// <summary>Accuracy interval of one classifier: the share of drawn images it got right.</summary>
    public static (double Low, double High) Accuracy(IReadOnlyList<bool> correct, int seed)
    {
        ArgumentNullException.ThrowIfNull(correct);
        return Interval(correct.Count, drawn =>
        {
            var hits = 0;
            foreach (var i in drawn)
            {
                hits += correct[i] ? 1 : 0;
            }

            return hits / (double)drawn.Length;
        }, seed, "bootstrap-accuracy");
    }

    /// <summary>Macro-F1 interval (mean F1 over the classes present in each draw, as <see cref="ClassificationMetrics.MacroF1"/>).</summary>
    public static (double Low, double High) MacroF1(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classCount, int seed)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        if (truth.Count != predicted.Count)
        {
            throw new ArgumentException($"{truth.Count} labels but {predicted.Count} predictions");
        }

        var hits = new int[classCount];
        var support = new int[classCount];
        var calls = new int[classCount];
        return Interval(truth.Count, drawn =>
        {
            Array.Clear(hits);
            Array.Clear(support);
            Array.Clear(calls);
            foreach (var i in drawn)
            {
                support[truth[i]]++;
                calls[predicted[i]]++;
                if (truth[i] == predicted[i])
                {
                    hits[truth[i]]++;
                }
            }

            double sum = 0;
            var present = 0;
            for (var c = 0; c < classCount; c++)
            {
                if (support[c] == 0)
                {
                    continue;
                }

                present++;
                // F1 = 2 tp / (support + predicted count): the harmonic mean of precision and recall without dividing twice.
                sum += 2.0 * hits[c] / (support[c] + calls[c]);
            }

            return sum / present;
        }, seed, "bootstrap-macro-f1");
    }

    /// <summary>
    /// Paired interval of "B's accuracy minus A's" over images both scored: each draw keeps an image's pair of outcomes together,
    /// so the interval reflects how often the two disagree, not two independent errors.
    /// </summary>
    public static (double Low, double High) AccuracyDifference(IReadOnlyList<(bool A, bool B)> correct, int seed)
    {
        ArgumentNullException.ThrowIfNull(correct);
        var score = correct.Select(c => (c.B ? 1 : 0) - (c.A ? 1 : 0)).ToArray();
        return Interval(score.Length, drawn =>
        {
            long sum = 0;
            foreach (var i in drawn)
            {
                sum += score[i];
            }

            return sum / (double)drawn.Length;
        }, seed, "bootstrap-accuracy-difference");
    }

    /// <summary>Linear interpolation between order statistics (numpy's default "linear" method).</summary>
    private static double Quantile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }
}
