using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Tests.Reports;

/// <summary>The one formatting vocabulary of compare and bench.</summary>
public sealed class FiguresTests
{
    [Theory]
    [InlineData(2_000_000, "2.00 MB")]
    [InlineData(60_000_000, "60.0 MB")]
    [InlineData(1_468_000_000, "1,468 MB")]
    [InlineData(92_200, "92.2 kB")]
    [InlineData(double.NaN, "–")]
    [InlineData(-1, "–")]
    public void Sizes_are_decimal_megabytes_or_kilobytes(double bytes, string expected) => Assert.Equal(expected, Figures.Bytes(bytes));

    [Fact]
    public void Bare_numbers_for_columns_whose_header_names_the_unit()
    {
        Assert.Equal("59.7", Figures.Megabytes(59_700_000));
        Assert.Equal("0.0922", Figures.Megabytes(92_200));
        Assert.Equal("0.640", Figures.Megabytes(640_000));
        Assert.Equal("1.4", Figures.Kilobytes(1_400));
        Assert.Equal("0.018", Figures.Milliseconds(0.018, withUnit: false));
        Assert.Equal("23.3 ms", Figures.Milliseconds(23.3));
        Assert.Equal("1.23", Figures.Seconds(1.234, withUnit: false));
        Assert.Equal("MB", Figures.MegabyteUnit);
    }

    [Fact]
    public void One_token_for_every_figure_not_measured()
    {
        foreach (var text in new[]
        {
            Figures.Ratio(double.NaN), Figures.LogLoss(double.PositiveInfinity), Figures.Percent(double.NaN), Figures.Points(double.NaN), Figures.Signed(double.NaN),
            Figures.Times(double.NaN), Figures.Milliseconds(double.NaN), Figures.Seconds(double.NaN), Figures.Duration(double.NaN), Figures.Rate(double.NaN),
            Figures.Bytes(double.NaN), Figures.Megabytes(double.NaN), Figures.Kilobytes(double.NaN), Figures.Number(double.NaN, "0"),
        })
        {
            Assert.Equal(Figures.Missing, text);
        }

        Assert.True(double.IsNaN(Figures.Cost(0)));
        Assert.Equal(3.5, Figures.Cost(3.5));
    }

    [Fact]
    public void Percentages_rates_and_differences()
    {
        Assert.Equal("75%", Figures.Percent(0.75));
        Assert.Equal("25.0", Figures.Points(0.25));
        Assert.Equal("+0.125", Figures.Signed(0.125));
        Assert.Equal("−0.125", Figures.Signed(-0.125));
        Assert.Equal("±0.000", Figures.Signed(0));
        Assert.Equal("183x", Figures.Times(183.3));
        Assert.Equal("5.0x", Figures.Times(5));
        Assert.Equal("133,098", Figures.Rate(133_098.4));
        Assert.Equal("39.5", Figures.Rate(39.46));
        Assert.Equal("1,000", Figures.LargeCount(1000));
        Assert.Equal("1000", Figures.Count(1000));
    }
}
