using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>Wording shared by the report sections and README's results table.</summary>
internal static class ReportText
{
    /// <summary>A summary figure in its unit.</summary>
    public static string Value(MetricKind kind, double value) => kind switch
    {
        MetricKind.Ratio => Figures.Ratio(value),
        MetricKind.LogLoss => Figures.LogLoss(value),
        MetricKind.Rate => Figures.Rate(value),
        MetricKind.Seconds => Figures.Seconds(value),
        MetricKind.Milliseconds => Figures.Milliseconds(value),
        MetricKind.Bytes => Figures.Bytes(value),
        _ => Figures.Number(value, "G6"),
    };

    /// <summary>What the whole comparison cost the machine, or empty when it was not measured.</summary>
    public static string RunLine(ComparisonResult r)
    {
        if (!Figures.IsMeasured(r.RunSeconds))
        {
            return string.Empty;
        }

        var peak = r.PeakWorkingSetBytes > 0 ? $", peak working set {Figures.Bytes(r.PeakWorkingSetBytes)}" : string.Empty;
        return $"Whole comparison: {Figures.Duration(r.RunSeconds)} wall time (featurizing, training, evaluating and timing every pipeline; loading the data and writing the report excluded){peak}.";
    }
}
