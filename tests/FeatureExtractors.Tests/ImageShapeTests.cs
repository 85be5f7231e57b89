using ImageWorkbench.FeatureExtractors;

namespace ImageWorkbench.FeatureExtractors.Tests;

public class ImageShapeTests
{
    [Fact]
    public void Length_counts_every_plane()
    {
        Assert.Equal(28 * 28 * 3, new ImageShape(28, 28, 3).Length);
    }

    [Theory]
    [InlineData(0, 5, 1)]
    [InlineData(5, 5, 2)]
    public void Validate_rejects_bad_shapes(int w, int h, int c)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageShape(w, h, c).Validate());
    }
}
