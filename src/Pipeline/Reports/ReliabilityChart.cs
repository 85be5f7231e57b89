using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>The reliability diagram (the other charts are in ReportCharts.cs).</summary>
internal static partial class ReportCharts
{
    /// <summary>
    /// Accuracy against confidence, one bar per non-empty confidence bin, with the diagonal of perfect calibration: bars below
    /// it are over-confident. The ECE is in the title.
    /// </summary>
    public static byte[] Reliability(CalibrationSummary calibration, string label, int colour)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        var model = NewModel($"Reliability: {label} (ECE {Figures.Ratio(calibration.Ece)})");
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Minimum = 0, Maximum = 1, Title = "confidence (score of the predicted class)", MajorGridlineStyle = LineStyle.Dot, IsZoomEnabled = false, IsPanEnabled = false });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Minimum = 0, Maximum = 1.02, Title = "accuracy in the bin", MajorGridlineStyle = LineStyle.Dot, IsZoomEnabled = false, IsPanEnabled = false });
        var bars = new RectangleBarSeries { FillColor = OxyColor.FromAColor(170, Palette[colour % Palette.Length]), StrokeColor = OxyColors.Black, StrokeThickness = 0.5 };
        var confidence = new ScatterSeries { MarkerType = MarkerType.Diamond, MarkerSize = 3, MarkerFill = OxyColors.Black };
        foreach (var bin in calibration.Bins.Where(b => b.Count > 0))
        {
            bars.Items.Add(new RectangleBarItem(bin.Low, 0, bin.High, bin.Accuracy));
            confidence.Points.Add(new ScatterPoint(bin.MeanConfidence, bin.Accuracy));
        }

        model.Series.Add(bars);
        model.Series.Add(confidence);
        var diagonal = new LineSeries { Color = OxyColor.FromRgb(0x55, 0x55, 0x55), LineStyle = LineStyle.Dash, StrokeThickness = 1 };
        diagonal.Points.Add(new DataPoint(0, 0));
        diagonal.Points.Add(new DataPoint(1, 1));
        model.Series.Add(diagonal);
        return Png(model, 420, 400);
    }
}
