using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Pipeline.Results;
using static ImageWorkbench.Pipeline.Tests.Reports.ReportFixtures;

namespace ImageWorkbench.Pipeline.Tests.Reports;

/// <summary>Intervals, paired tests, calibration and over-fitting in the report, report.json and README table.</summary>
public sealed class UncertaintyReportTests
{
    [Fact]
    public void Verdict_says_not_significant_at_a_small_test_size()
    {
        // The fixture: only hand-crafted right on 1 image, only the CNN on 4 of 12: p = 0.375.
        var sentence = ReportAnalysis.TradeOff(Result()).Sentence;
        Assert.Contains("not a significant difference at 12 test images, McNemar p = 0.375", sentence, StringComparison.Ordinal);
        Assert.DoesNotContain("significantly", sentence, StringComparison.Ordinal);
        var pair = Assert.Single(ComparisonStatistics.Compute(Result()).Pairs);
        Assert.False(pair.Significant);

        // The bootstrap is pinned by the seed (7) and SplitMix64: a Python port of both gives these bounds.
        Assert.Equal(-1 / 12.0, pair.AccuracyDifferenceCi95.Low, 12);
        Assert.Equal(7 / 12.0, pair.AccuracyDifferenceCi95.High, 12);
        Assert.Equal(5 / 12.0, ComparisonStatistics.Compute(Result()).Runs[1].MacroF1Ci95.Low, 12); // the CNN's images in the fixture's (reversed) order
        Assert.StartsWith("At 12 test images there is no significant difference in accuracy between the hand-crafted pipeline and the CNN", SignificanceText.Pair(Result(), pair), StringComparison.Ordinal);
    }

    [Fact]
    public void Verdict_says_significantly_when_p_is_below_five_percent()
    {
        // 200 images: A right on 100, B on 150; B alone right on 60, A alone on 10: p far below 0.05.
        var result = Paired(200, onlyA: 10, onlyB: 60, both: 90);
        var sentence = ReportAnalysis.TradeOff(result).Sentence;
        Assert.StartsWith("The CNN is significantly more accurate (0.75 vs 0.50, 25.0 points; McNemar p < 0.001 on 200 test images)", sentence, StringComparison.Ordinal);
        var pair = Assert.Single(ComparisonStatistics.Compute(result).Pairs);
        Assert.True(pair.Significant);
        Assert.Equal(McNemar.ExactP(10, 60), pair.McNemarP);
        Assert.Equal(0.25, pair.AccuracyDifference, 12);
        Assert.InRange(0.25, pair.AccuracyDifferenceCi95.Low, pair.AccuracyDifferenceCi95.High);
        Assert.True(pair.AccuracyDifferenceCi95.Low > 0);
        Assert.StartsWith("The CNN is significantly more accurate than the hand-crafted pipeline on 200 test images", SignificanceText.Pair(result, pair), StringComparison.Ordinal);

        // Five points apart on the same 200 images, but the images only one got right split 20 to 30: not significant (p about 0.2).
        var close = Paired(200, onlyA: 20, onlyB: 30, both: 130);
        Assert.Contains("not a significant difference at 200 test images", ReportAnalysis.TradeOff(close).Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_shows_intervals_train_accuracy_pairs_and_a_reliability_diagram_per_pipeline()
    {
        var folder = TempFolder();
        try
        {
            var result = Result(HandCraftedRun() with { TrainAccuracy = 1.0 }, CnnRun() with { TrainAccuracy = 0.9 });
            var written = ComparisonReport.Write(result, folder, NoReportImages.Instance);
            var md = File.ReadAllText(Path.Combine(folder, "report.md"));
            var html = File.ReadAllText(Path.Combine(folder, "report.html"));

            // After the side-by-side section, before the per-class F1.
            var section = md.IndexOf("## Uncertainty, over-fitting and calibration", StringComparison.Ordinal);
            Assert.InRange(section, md.IndexOf("## Side by side", StringComparison.Ordinal), md.IndexOf("## F1 per class", StringComparison.Ordinal));
            Assert.Contains(@"| Test accuracy \[95 % interval\] | 0.500 \[0.254, 0.746\] | 0.750 \[0.468, 0.911\] |", md, StringComparison.Ordinal); // Wilson, 6 and 9 of 12
            Assert.Contains("<td>0.500 [0.254, 0.746]</td>", html, StringComparison.Ordinal);
            Assert.Contains("| Train accuracy | 1.000 | 0.900 |", md, StringComparison.Ordinal);
            Assert.Contains("| Over-fitting gap (train − test accuracy) ↓ | +0.500 | +0.150 |", md, StringComparison.Ordinal);
            Assert.Contains("| handcrafted | cnn | 12 | 1 | 4 | +0.250 |", md, StringComparison.Ordinal);
            Assert.Contains("id=\"pairwise\"", html, StringComparison.Ordinal);
            Assert.Equal(2, written.Count(p => Path.GetFileName(p).StartsWith("reliability-", StringComparison.Ordinal)));
            Assert.Contains("](images/reliability-2-cnn.png)", md, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Same_result_same_figures_and_the_readme_table_shows_the_intervals()
    {
        Assert.Equal(ReportJson.ToText(Result()), ReportJson.ToText(Result()));
        var table = ResultsTable.Markdown(Result());
        Assert.Contains("| cnn | LbfgsMaximumEntropy | 0.750 | [0.468, 0.911] |", table, StringComparison.Ordinal);
    }

    /// <summary>Two classes, <paramref name="n"/> images: A and B right together on <paramref name="both"/>, alone on <paramref name="onlyA"/> / <paramref name="onlyB"/>.</summary>
    private static ComparisonResult Paired(int n, int onlyA, int onlyB, int both)
    {
        string[] classes = ["x", "y"];
        int[] truth = [.. Enumerable.Range(0, n).Select(i => i % 2)];
        ClassificationMetrics Metrics(Func<int, bool> right) => ClassificationMetrics.Compute(
            classes,
            truth,
            [.. truth.Select((t, i) => right(i) ? (t == 0 ? new[] { 0.8f, 0.2f } : [0.2f, 0.8f]) : (t == 0 ? [0.3f, 0.7f] : [0.7f, 0.3f]))],
            [.. Enumerable.Range(0, n).Select(i => $"img{i:000}.png")]);
        var a = Metrics(i => i < both + onlyA);
        var b = Metrics(i => i < both || (i >= both + onlyA && i < both + onlyA + onlyB));
        return Result(HandCraftedRun(a), CnnRun(b)) with { Dataset = new DatasetSummary("pairs", "/data/pairs", classes, 4 * n, n) };
    }
}
