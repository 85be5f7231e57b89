using ImageWorkbench.Pipeline.Evaluation;

namespace ImageWorkbench.Pipeline.Tests.Evaluation;

public class IntervalsTests
{
    [Theory]
    // Reference values worked out by hand from the Wilson formula (z = 1.96); 0 and n correct are the classic edge cases.
    [InlineData(425, 500, 0.8160, 0.8786)]
    [InlineData(0, 10, 0.0, 0.2775)]
    [InlineData(10, 10, 0.7225, 1.0)]
    [InlineData(1, 2, 0.0945, 0.9055)]
    public void Wilson_matches_the_reference(int correct, int n, double low, double high)
    {
        (double l, double h) = Intervals.Wilson(correct, n);
        Assert.Equal(low, l, 4);
        Assert.Equal(high, h, 4);
    }

    [Fact]
    public void Wilson_of_an_empty_test_set_is_the_whole_range() => Assert.Equal((0.0, 1.0), Intervals.Wilson(0, 0));
}
