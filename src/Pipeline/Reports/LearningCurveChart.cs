using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>Learning curves on one chart: a line per pipeline with a shaded band for its 95 % interval, training images per class on a log axis.</summary>
internal static class LearningCurveChart
{
    public static byte[] Draw(IReadOnlyList<(string Label, int Index, IReadOnlyList<LearningCurvePoint> Items)> curves)
    {
        ArgumentNullException.ThrowIfNull(curves);
        var model = ReportCharts.NewModel("Test accuracy against training-set size");
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.BottomRight, LegendPlacement = LegendPlacement.Inside, LegendFont = ReportCharts.Font });
        var all = curves.SelectMany(c => c.Items).ToArray();
        var minX = all.Min(p => p.TrainPerClass);
        var maxX = all.Max(p => p.TrainPerClass);
        model.Axes.Add(ReportCharts.Fixed(new LogarithmicAxis(), AxisPosition.Bottom, "training images per class (log scale)", minX / 1.5, maxX * 1.5));
        var minY = Math.Max(0, Math.Floor((all.Min(p => p.AccuracyCi95[0]) - 0.05) * 10) / 10);
        model.Axes.Add(ReportCharts.Fixed(new LinearAxis(), AxisPosition.Left, "test accuracy (95 % interval shaded)", minY, 1.0));
        foreach (var (label, index, items) in curves)
        {
            var colour = ReportCharts.Palette[index % ReportCharts.Palette.Length];
            var ordered = items.OrderBy(p => p.TrainPerClass).ToArray();
            var band = new AreaSeries { Color = OxyColors.Transparent, Fill = OxyColor.FromAColor(60, colour), StrokeThickness = 0 };
            band.Points.AddRange(ordered.Select(p => new DataPoint(p.TrainPerClass, p.AccuracyCi95[1])));
            band.Points2.AddRange(ordered.Select(p => new DataPoint(p.TrainPerClass, p.AccuracyCi95[0])));
            model.Series.Add(band);
            var line = new LineSeries { Title = label, Color = colour, StrokeThickness = 2, MarkerType = MarkerType.Circle, MarkerSize = 4, MarkerFill = colour };
            line.Points.AddRange(ordered.Select(p => new DataPoint(p.TrainPerClass, p.Accuracy)));
            model.Series.Add(line);
        }

        return ReportCharts.Png(model, 800, 450);
    }
}
