using ImageWorkbench.Pipeline.Evaluation;

namespace ImageWorkbench.Pipeline.Tests.Evaluation;

public class McNemarTests
{
    [Theory]
    // Exact two-sided binomial tails, 2 * sum_{i <= min} C(n, i) / 2^n, worked out with Python's fractions and math.comb.
    [InlineData(1, 4, 0.375)] // 2 * (1 + 5) / 32
    [InlineData(0, 5, 0.0625)] // 2 / 32
    [InlineData(0, 6, 0.03125)] // 2 / 64: the smallest n where "all one way" is significant
    [InlineData(2, 8, 0.109375)] // 2 * (1 + 10 + 45) / 1024
    [InlineData(10, 0, 0.001953125)] // 2 / 1024
    [InlineData(54, 30, 0.011634454119925829)]
    [InlineData(12, 25, 0.04703102743951604)]
    [InlineData(400, 460, 0.04416954819458901)]
    [InlineData(5000, 5200, 0.04878796312682245)] // 2^10200 overflows a double: the log-space sum must not
    public void Exact_p_matches_the_binomial_tail(int onlyA, int onlyB, double expected)
    {
        Assert.Equal(expected, McNemar.ExactP(onlyA, onlyB), 1e-9);
        Assert.Equal(expected, McNemar.ExactP(onlyB, onlyA), 1e-9); // two-sided: symmetric
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 3)]
    [InlineData(4, 5)] // 2 * P(X <= 4 | n = 9) = 2 * 0.5 = 1
    public void No_or_balanced_disagreement_gives_p_of_one(int onlyA, int onlyB) => Assert.Equal(1.0, McNemar.ExactP(onlyA, onlyB));

    [Fact]
    public void Significance_is_below_five_percent()
    {
        Assert.True(McNemar.IsSignificant(0.0499));
        Assert.False(McNemar.IsSignificant(0.05));
        Assert.Throws<ArgumentOutOfRangeException>(() => McNemar.ExactP(-1, 2));
    }
}

public class BootstrapTests
{
    private static readonly bool[] Correct = [.. Enumerable.Range(0, 500).Select(i => i % 20 < 17)]; // 0.85

    [Fact]
    public void Same_seed_same_interval_other_seed_other_interval()
    {
        var first = Bootstrap.Accuracy(Correct, 42);
        Assert.Equal(first, Bootstrap.Accuracy(Correct, 42));
        Assert.NotEqual(first, Bootstrap.Accuracy(Correct, 43));
    }

    [Fact]
    public void Accuracy_interval_contains_the_estimate_and_agrees_with_wilson()
    {
        var (low, high) = Bootstrap.Accuracy(Correct, 7);
        Assert.InRange(0.85, low, high);
        // About +/- 3 points for 500 images; the percentile bootstrap and Wilson agree within a point.
        var (wl, wh) = Intervals.Wilson(425, 500);
        Assert.InRange(low, wl - 0.01, wl + 0.01);
        Assert.InRange(high, wh - 0.01, wh + 0.01);
    }

    [Fact]
    public void Macro_f1_interval_contains_the_estimate()
    {
        int[] truth = [.. Enumerable.Range(0, 300).Select(i => i % 3)];
        int[] predicted = [.. truth.Select((t, i) => i % 7 == 0 ? (t + 1) % 3 : t)];
        var estimate = ClassificationMetrics.Compute(["a", "b", "c"], truth, [.. predicted.Select(p => OneHot(p, 3))]).MacroF1;
        var (low, high) = Bootstrap.MacroF1(truth, predicted, 3, 42);
        Assert.InRange(estimate, low, high);
        Assert.True(high - low is > 0.02 and < 0.2, $"[{low}, {high}]");

        // All right in every draw: the interval is the point.
        Assert.Equal((1.0, 1.0), Bootstrap.MacroF1(truth, truth, 3, 42));
    }

    [Fact]
    public void Paired_difference_interval_is_narrower_than_two_independent_errors()
    {
        // B is right wherever A is and on 20 more of 400 images: +5 points, and they never disagree the other way.
        var pairs = Enumerable.Range(0, 400).Select(i => (A: i < 300, B: i < 320)).ToArray();
        var (low, high) = Bootstrap.AccuracyDifference(pairs, 42);
        Assert.InRange(0.05, low, high);
        Assert.True(low > 0.02, $"low {low}"); // paired: the interval stays well above 0
        Assert.True(high - low < 0.05, $"[{low}, {high}]"); // unpaired, two Wilson intervals of 400 images are each about 0.08 wide
        Assert.Equal((double.NaN, double.NaN), Bootstrap.AccuracyDifference([], 42));
    }

    private static float[] OneHot(int label, int k)
    {
        var s = new float[k];
        s[label] = 1;
        return s;
    }
}

public class CalibrationTests
{
    [Fact]
    public void Perfectly_calibrated_predictions_have_zero_ece()
    {
        // In each bin the share right equals the confidence: 10 images at 0.9 with 9 right, 10 at 0.6 with 6 right.
        var scored = new List<ScoredImage>();
        for (var i = 0; i < 10; i++)
        {
            scored.Add(Scored(i, 0.9f, right: i < 9));
            scored.Add(Scored(10 + i, 0.6f, right: i < 6));
        }

        var calibration = Calibration.Compute(scored);
        Assert.Equal(0, calibration.Ece, 6);
        Assert.Equal(Calibration.DefaultBins, calibration.Bins.Count);
        Assert.Equal(20, calibration.Bins.Sum(b => b.Count));
        var high = Assert.Single(calibration.Bins, b => b.Count > 0 && b.MeanConfidence > 0.8);
        Assert.Equal((0.9, 0.9), (high.Accuracy, Math.Round(high.MeanConfidence, 6)));
        Assert.True(high.Low <= 0.9 && 0.9 < high.High);
    }

    [Fact]
    public void Over_confident_predictions_have_the_gap_as_ece()
    {
        // Always 99 % sure, right half the time: ECE = |0.5 - 0.99| = 0.49. A confidence of exactly 1 lands in the last bin.
        var scored = Enumerable.Range(0, 100).Select(i => Scored(i, i == 0 ? 1f : 0.99f, right: i % 2 == 0)).ToList();
        var calibration = Calibration.Compute(scored);
        Assert.Equal(0.49, calibration.Ece, 3);
        Assert.Equal(100, calibration.Bins[^1].Count);
        Assert.All(calibration.Bins.SkipLast(1), b => Assert.True(b.Count == 0 && double.IsNaN(b.Accuracy)));
        Assert.True(double.IsNaN(Calibration.Compute([]).Ece));
    }

    private static ScoredImage Scored(int index, float confidence, bool right) => new(index, $"i{index}", 0, right ? 0 : 1, confidence);
}
