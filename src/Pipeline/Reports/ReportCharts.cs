using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>The report's charts, drawn with OxyPlot and encoded as PNG through SkiaSharp.</summary>
internal static partial class ReportCharts
{
    internal const string Font = "DejaVu Sans";

    /// <summary>One colour per pipeline, in result order (colour-blind-safe Okabe-Ito tones).</summary>
    public static readonly OxyColor[] Palette =
    [
        OxyColor.FromRgb(0xE6, 0x9F, 0x00),
        OxyColor.FromRgb(0x00, 0x72, 0xB2),
        OxyColor.FromRgb(0x00, 0x9E, 0x73),
        OxyColor.FromRgb(0xCC, 0x79, 0xA7),
        OxyColor.FromRgb(0x56, 0xB4, 0xE9),
        OxyColor.FromRgb(0xD5, 0x5E, 0x00),
    ];

    /// <summary>Confusion matrix as a heatmap: true class down the left, predicted class along the bottom, counts in the cells.</summary>
    public static byte[] ConfusionHeatmap(ClassificationMetrics metrics, string title)
    {
        var k = metrics.Classes.Count;
        var max = metrics.ConfusionMatrix.SelectMany(row => row).DefaultIfEmpty(0).Max();
        var model = NewModel(title);
        var predicted = new CategoryAxis { Position = AxisPosition.Bottom, Key = "x", Title = "Predicted class", Angle = k > 6 ? -45 : 0, IsZoomEnabled = false, IsPanEnabled = false };
        var truth = new CategoryAxis { Position = AxisPosition.Left, Key = "y", Title = "True class", StartPosition = 1, EndPosition = 0, IsZoomEnabled = false, IsPanEnabled = false };
        predicted.Labels.AddRange(metrics.Classes);
        truth.Labels.AddRange(metrics.Classes);
        model.Axes.Add(predicted);
        model.Axes.Add(truth);
        model.Axes.Add(new LinearColorAxis
        {
            Position = AxisPosition.Right,
            Palette = OxyPalette.Interpolate(200, OxyColor.FromRgb(0xF7, 0xFB, 0xFF), OxyColor.FromRgb(0x6B, 0xAE, 0xD6), OxyColor.FromRgb(0x08, 0x30, 0x6B)),
            Minimum = 0,
            Maximum = Math.Max(1, max),
            MajorStep = Math.Max(1, Math.Ceiling(max / 5.0)),
            MinorStep = Math.Max(1, Math.Ceiling(max / 5.0)),
            StringFormat = "0",
            Title = "count",
        });

        // HeatMapSeries.Data is [x, y]: x = predicted column, y = true row.
        var data = new double[k, k];
        for (var t = 0; t < k; t++)
        {
            for (var p = 0; p < k; p++)
            {
                data[p, t] = metrics.ConfusionMatrix[t][p];
            }
        }

        model.Series.Add(new HeatMapSeries
        {
            X0 = 0,
            X1 = k - 1,
            Y0 = 0,
            Y1 = k - 1,
            XAxisKey = "x",
            YAxisKey = "y",
            Data = data,
            Interpolate = false,
            RenderMethod = HeatMapRenderMethod.Rectangles,
            LabelFormatString = "0",
            LabelFontSize = k > 12 ? 0.3 : 0.22,
        });

        var side = Math.Clamp(140 + (k * 55), 420, 1100);
        return Png(model, side + 90, side);
    }

    /// <summary>Per-class F1, one bar per pipeline in each class group.</summary>
    public static byte[] PerClassF1(ComparisonResult result, IReadOnlyList<string> labels)
    {
        var classes = result.Results[0].Metrics.Classes;
        var model = NewModel("F1 per class");
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.TopCenter, LegendPlacement = LegendPlacement.Outside, LegendOrientation = LegendOrientation.Horizontal, LegendFont = Font });
        var axis = new CategoryAxis { Position = AxisPosition.Left, StartPosition = 1, EndPosition = 0, IsZoomEnabled = false, IsPanEnabled = false, GapWidth = 0.4 };
        axis.Labels.AddRange(classes);
        model.Axes.Add(axis);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Minimum = 0, Maximum = 1.05, Title = "F1", MajorGridlineStyle = LineStyle.Dot, IsZoomEnabled = false, IsPanEnabled = false });
        for (var i = 0; i < result.Results.Count; i++)
        {
            var perClass = result.Results[i].Metrics.PerClass.ToDictionary(c => c.Class, c => c.F1, StringComparer.Ordinal);
            var series = new BarSeries { Title = labels[i], FillColor = Palette[i % Palette.Length], LabelFormatString = "{0:0.00}", LabelPlacement = LabelPlacement.Outside, FontSize = 10 };
            foreach (var c in classes)
            {
                // A zero-length bar would put its label left of the axis; a hair of length keeps it readable ("0.00").
                series.Items.Add(new BarItem(Math.Max(perClass.TryGetValue(c, out var f1) ? f1 : 0, 0.001)));
            }

            model.Series.Add(series);
        }

        var height = Math.Clamp(120 + (classes.Count * result.Results.Count * 26), 300, 2400);
        return Png(model, 900, height);
    }

    /// <summary>Accuracy against single-image prediction latency (log scale), one labelled point per pipeline; null when no latency was measured.</summary>
    public static byte[]? AccuracyVersusCost(ComparisonResult result, IReadOnlyList<string> labels)
    {
        var points = Enumerable.Range(0, result.Results.Count)
            .Select(i => (Index: i, X: Figures.Cost(result.Results[i].PredictMillisecondsP50), Y: result.Results[i].Metrics.Accuracy))
            .Where(p => double.IsFinite(p.X))
            .ToArray();
        if (points.Length == 0)
        {
            return null;
        }

        var model = NewModel("Accuracy against prediction latency");
        var minX = points.Min(p => p.X);
        var maxX = points.Max(p => p.X);
        model.Axes.Add(Fixed(new LogarithmicAxis(), AxisPosition.Bottom, "prediction latency p50, ms per image (log scale; left is cheaper)", minX / 3, maxX * 3));
        var minY = points.Min(p => p.Y);
        model.Axes.Add(Fixed(new LinearAxis(), AxisPosition.Left, "test accuracy (higher is better)", Math.Max(0, Math.Floor((minY - 0.08) * 10) / 10), 1.02));
        var middle = Math.Sqrt(minX * maxX);
        foreach (var (index, x, y) in points)
        {
            // Labels point towards the middle of the chart so they are not clipped at either edge.
            var right = points.Length == 1 || x <= middle;
            model.Annotations.Add(new PointAnnotation
            {
                X = x,
                Y = y,
                Size = 7,
                Fill = Palette[index % Palette.Length],
                Stroke = OxyColors.Black,
                StrokeThickness = 1,
                Text = $"{labels[index]}: {Figures.Ratio(y)} at {Figures.Milliseconds(x)}",
                FontSize = 12,
                TextColor = OxyColors.Black,
                TextHorizontalAlignment = right ? HorizontalAlignment.Left : HorizontalAlignment.Right,
                TextVerticalAlignment = VerticalAlignment.Middle,
                TextMargin = 4,
            });
        }

        return Png(model, 800, 450);
    }

    /// <summary>An axis with a fixed range and dotted grid lines, neither zoomed nor panned (the pictures are static).</summary>
    internal static T Fixed<T>(T axis, AxisPosition position, string title, double minimum, double maximum)
        where T : Axis
    {
        axis.Position = position;
        axis.Title = title;
        axis.Minimum = minimum;
        axis.Maximum = maximum;
        axis.MajorGridlineStyle = LineStyle.Dot;
        axis.IsZoomEnabled = false;
        axis.IsPanEnabled = false;
        return axis;
    }

    internal static PlotModel NewModel(string title) => new()
    {
        Title = title,
        TitleFontSize = 15,
        DefaultFont = Font,
        DefaultFontSize = 12,
        Background = OxyColors.White,
        PlotAreaBorderColor = OxyColor.FromRgb(0x99, 0x99, 0x99),
        Padding = new OxyThickness(8),
    };

    internal static byte[] Png(PlotModel model, int width, int height)
    {
        using var stream = new MemoryStream();
        var exporter = new OxyPlot.SkiaSharp.PngExporter { Width = width, Height = height, Dpi = 96 };
        exporter.Export(model, stream);
        return stream.ToArray();
    }
}
