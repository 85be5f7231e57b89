using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Pictures;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Tests.Reports;

/// <summary>A small, fully known comparison: 4 classes, 12 test images, hand-crafted vs CNN.</summary>
internal static class ReportFixtures
{
    public static readonly string[] Classes = ["cat", "dog", "bird", "fish"];

    // Test image i has true label Truth[i]; its name is test/{class}_{i:00}.png.
    public static readonly int[] Truth = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3];

    // Hand-crafted: right on 0, 1, 3, 4, 6, 9 (6/12 = 0.5).
    public static readonly int[] HandCraftedPredicted = [0, 0, 1, 1, 1, 0, 2, 3, 0, 3, 2, 0];

    // CNN: right on 0, 1, 2, 3, 5, 6, 7, 9, 10 (9/12 = 0.75); wrong on 4, 8, 11.
    public static readonly int[] CnnPredicted = [0, 0, 0, 1, 0, 1, 2, 2, 1, 3, 3, 1];

    // Image by image: both right 0, 1, 3, 6, 9 (5); both wrong 8, 11 (2); only hand-crafted right 4 (1); only CNN right 2, 5, 7, 10 (4).
    public const int BothCorrect = 5;
    public const int BothWrong = 2;
    public const int OnlyHandCraftedCorrect = 1;
    public const int OnlyCnnCorrect = 4;

    public static string Name(int i) => $"test/{Classes[Truth[i]]}_{i:00}.png";

    /// <summary>Metrics from hand-made score vectors: <paramref name="confidence"/> on the predicted class, the rest spread evenly. Images are listed in <paramref name="order"/>.</summary>
    public static ClassificationMetrics Metrics(int[] predicted, float confidence, int[]? order = null)
    {
        order ??= [.. Enumerable.Range(0, Truth.Length)];
        var labels = new List<int>();
        var scores = new List<float[]>();
        var names = new List<string>();
        foreach (var i in order)
        {
            // A little variation so "most confident first" has a defined order: later images are more confident.
            var c = confidence + (0.01f * i);
            var s = Enumerable.Repeat((1 - c) / (Classes.Length - 1), Classes.Length).ToArray();
            s[predicted[i]] = c;
            labels.Add(Truth[i]);
            scores.Add(s);
            names.Add(Name(i));
        }

        return ClassificationMetrics.Compute(Classes, labels, scores, names);
    }

    public static PipelineRun HandCraftedRun(ClassificationMetrics? metrics = null, double p50 = 0.12, long modelBytes = 2_000_000) => new(
        "handcrafted",
        "LbfgsMaximumEntropy",
        "hog-sobel-default",
        metrics ?? Metrics(HandCraftedPredicted, 0.55f),
        FeaturizeImagesPerSecond: 850,
        TrainSeconds: 2.5,
        PredictMillisecondsP50: p50,
        PredictMillisecondsP95: p50 * 2.5,
        BatchImagesPerSecond: 9000,
        ModelBytes: modelBytes,
        PeakWorkingSetBytes: 300_000_000,
        ModelPath: "models/handcrafted.zip",
        DisplayName: "hand-crafted pipeline");

    public static PipelineRun CnnRun(ClassificationMetrics? metrics = null, double p50 = 22, long modelBytes = 60_000_000) => new(
        "cnn",
        "LbfgsMaximumEntropy",
        "resnet18-224",
        // Listed in reverse order, so matching by name (not by position) is exercised.
        metrics ?? Metrics(CnnPredicted, 0.6f, [.. Enumerable.Range(0, Truth.Length).Reverse()]),
        FeaturizeImagesPerSecond: 41,
        TrainSeconds: 9.75,
        PredictMillisecondsP50: p50,
        PredictMillisecondsP95: p50 * 1.4,
        BatchImagesPerSecond: 63,
        ModelBytes: modelBytes,
        PeakWorkingSetBytes: 950_000_000,
        ModelPath: "models/cnn.zip",
        DisplayName: "CNN",
        ComparisonRank: 1);

    public static ComparisonResult Result(params PipelineRun[] runs) => new(
        new DatasetSummary("pets-mini", "/data/pets-mini", Classes, 48, Truth.Length),
        runs.Length == 0 ? [HandCraftedRun(), CnnRun()] : runs,
        "pipeline compare --data /data/pets-mini --out out/report --seed 7",
        "2 cores, 7.8 GB, Linux 6.1, .NET 10.0.0",
        new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero),
        7);

    public static string TempFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "report-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }
}

/// <summary>Test double: a coloured square per test image (hue from the class) and two feature pictures.</summary>
internal sealed class FakeReportImages : IReportImages
{
    public List<string> Requested { get; } = [];

    public byte[]? ThumbnailPng(string imageName)
    {
        Requested.Add(imageName);
        if (imageName.Contains("_11", StringComparison.Ordinal))
        {
            return null; // one image without a picture: the report must show a placeholder
        }

        var cls = Array.FindIndex(ReportFixtures.Classes, c => imageName.Contains(c, StringComparison.Ordinal));
        return Square(32, cls / 4f, 0.4f + (0.15f * cls), 1 - (cls / 4f));
    }

    public IReadOnlyList<(string Caption, byte[] Png)> FeatureExamples() =>
    [
        ("Sobel gradient magnitude: test/cat_00.png", Gradient(64)),
        ("HOG glyphs: test/cat_00.png", Square(64, 0.1f, 0.1f, 0.1f)),
    ];

    private static byte[] Square(int size, float r, float g, float b)
    {
        var shape = new ImageShape(size, size, 3);
        var planar = new float[shape.Length];
        for (var i = 0; i < shape.PlaneLength; i++)
        {
            var edge = (i % size) < 2 || (i / size) < 2;
            planar[i] = edge ? 0 : r;
            planar[shape.PlaneLength + i] = edge ? 0 : g;
            planar[(2 * shape.PlaneLength) + i] = edge ? 0 : b;
        }

        return PngWriter.Encode(planar, shape);
    }

    private static byte[] Gradient(int size)
    {
        var shape = new ImageShape(size, size, 1);
        var planar = new float[shape.Length];
        for (var i = 0; i < planar.Length; i++)
        {
            planar[i] = (i % size) / (float)size;
        }

        return PngWriter.Encode(planar, shape);
    }
}
