namespace Pipeline.Tests;

public class SmokeTests
{
    [Fact]
    public void Pipeline_assembly_references_feature_extractors()
    {
        Assert.Contains(typeof(FeatureExtractors.ImageShape).Assembly.GetName().Name, new[] { "FeatureExtractors" });
    }
}
