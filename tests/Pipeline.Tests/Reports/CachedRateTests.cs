using ImageWorkbench.Pipeline.Reports;
using static ImageWorkbench.Pipeline.Tests.Reports.ReportFixtures;

namespace ImageWorkbench.Pipeline.Tests.Reports;

/// <summary>A featurization rate served from the CNN feature cache is a disk read: the side-by-side table shows it but never ranks it.</summary>
public class CachedRateTests
{
    [Fact]
    public void A_cached_featurization_rate_is_shown_but_not_marked_better()
    {
        var cached = CnnRun() with { FeaturizeImagesPerSecond = 1_000_000, FeatureCacheHits = 48 };
        var row = ReportAnalysis.Summary(Result(HandCraftedRun(), cached)).Single(r => r.Key == "featurizeImagesPerSecond");

        Assert.Equal(1_000_000, row.Values[1]);
        Assert.Empty(row.Best); // one ranked rate left: nothing to compare it with
        Assert.Contains("cached runs not ranked", row.Name, StringComparison.Ordinal);

        var fresh = ReportAnalysis.Summary(Result()).Single(r => r.Key == "featurizeImagesPerSecond");
        Assert.Equal("Featurization (images/s)", fresh.Name);
        Assert.NotEmpty(fresh.Best);
    }
}
