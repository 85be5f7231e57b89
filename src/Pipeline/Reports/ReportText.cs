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
    public static string RunLine(ComparisonResult r) => RunLine(r.RunSeconds, r.PeakWorkingSetBytes);

    /// <summary>What a comparison that took <paramref name="runSeconds"/> (NaN: not measured) cost the machine, or empty.</summary>
    public static string RunLine(double runSeconds, long peakWorkingSetBytes)
    {
        if (!Figures.IsMeasured(runSeconds))
        {
            return string.Empty;
        }

        var peak = peakWorkingSetBytes > 0 ? $", peak working set {Figures.Bytes(peakWorkingSetBytes)}" : string.Empty;
        return $"Whole comparison: {Figures.Duration(runSeconds)} wall time (featurizing, training, evaluating and timing every pipeline; loading the data and writing the report excluded){peak}.";
    }
}
