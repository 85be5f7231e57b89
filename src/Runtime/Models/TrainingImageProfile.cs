using System.Globalization;
using System.Runtime.CompilerServices;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Runtime.Decoding;

namespace ImageWorkbench.Runtime.Models;

/// <summary>
/// What a model's training images looked like (measured on a sample of them when it was trained): their size range,
/// whether they were grey, and their brightness. <see cref="Check"/> says when an input is far outside that: a colour
/// photo given to a grey 28x28 model, a 16-pixel icon given to a photo model. Packages written before this existed
/// have none, and nothing is flagged for them.
/// </summary>
public sealed record TrainingImageProfile
{
    /// <summary>At most this many training images are measured (evenly spaced over the training list).</summary>
    public const int MaxSample = 1000;

    /// <summary>An input side this many times smaller than the smallest training side, or larger than the largest, is flagged.</summary>
    public const double SizeFactor = 4;

    /// <summary>Colourfulness a grey image may show (JPEG artefacts, a tinted scan) before it counts as colour.</summary>
    public const double GreyTolerance = 0.04;

    /// <summary>How far (0..1) the mean brightness may lie outside the training images' 0.5 % .. 99.5 % range.</summary>
    public const double BrightnessMargin = 0.15;

    public required int Sampled { get; init; }

    public required int MinWidth { get; init; }

    public required int MaxWidth { get; init; }

    public required int MinHeight { get; init; }

    public required int MaxHeight { get; init; }

    /// <summary>The 99th percentile of the sample's colourfulness (<see cref="ImageFacts.Colourfulness"/>): about 0 for grey images.</summary>
    public required double Colourfulness { get; init; }

    /// <summary>The 0.5th percentile of the sample's mean brightness.</summary>
    public required double BrightnessLow { get; init; }

    /// <summary>The 99.5th percentile of the sample's mean brightness.</summary>
    public required double BrightnessHigh { get; init; }

    /// <summary>Mean and standard deviation of the sample's mean brightness (for reports).</summary>
    public required double BrightnessMean { get; init; }

    public required double BrightnessStd { get; init; }

    /// <summary>Whether the training images were grey.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Grey => Colourfulness < GreyTolerance;

    /// <summary>
    /// Measures up to <see cref="MaxSample"/> of <paramref name="images"/> (evenly spaced); images that cannot be
    /// decoded are passed over. Null when none could be.
    /// </summary>
    public static TrainingImageProfile? Measure(IReadOnlyList<ImageSource> images, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        var step = Math.Max(1, images.Count / (double)MaxSample);
        var shape = new ImageShape(8, 8, 3);
        var facts = new List<ImageFacts>();
        var pixels = new float[shape.Length];
        for (double at = 0; at < images.Count && facts.Count < MaxSample; at += step)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ImageDecoder.Default.TryDecode(images[(int)at], shape, ResizeMode.Stretch, pixels, out var f, out _))
            {
                facts.Add(f);
            }
        }

        if (facts.Count == 0)
        {
            return null;
        }

        var colour = facts.Select(f => (double)f.Colourfulness).Order().ToArray();
        var brightness = facts.Select(f => (double)f.Brightness).Order().ToArray();
        var mean = brightness.Average();
        return new TrainingImageProfile
        {
            Sampled = facts.Count,
            MinWidth = facts.Min(f => f.Width),
            MaxWidth = facts.Max(f => f.Width),
            MinHeight = facts.Min(f => f.Height),
            MaxHeight = facts.Max(f => f.Height),
            Colourfulness = Math.Round(Percentile(colour, 0.99), 4),
            BrightnessLow = Math.Round(Percentile(brightness, 0.005), 4),
            BrightnessHigh = Math.Round(Percentile(brightness, 0.995), 4),
            BrightnessMean = Math.Round(mean, 4),
            BrightnessStd = Math.Round(Math.Sqrt(brightness.Average(b => (b - mean) * (b - mean))), 4),
        };
    }

    /// <summary>Why an image with these <paramref name="facts"/> looks unlike the training images, or null when it does not.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per image: optimised from its first call; a short batch ran it unoptimised (tier 0) throughout
    public string? Check(ImageFacts facts)
    {
        var reasons = new List<string>(3);
        if (Grey && facts.Colourfulness > Math.Max(GreyTolerance, 2 * Colourfulness))
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"a colour image (colourfulness {facts.Colourfulness:0.00}); the model was trained on grey images"));
        }

        var small = Math.Min(facts.Width / (double)MinWidth, facts.Height / (double)MinHeight);
        var large = Math.Max(facts.Width / (double)MaxWidth, facts.Height / (double)MaxHeight);
        if (small * SizeFactor < 1 || large > SizeFactor)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{facts.Width}x{facts.Height} pixels; the training images were {Range(MinWidth, MaxWidth)}x{Range(MinHeight, MaxHeight)}"));
        }

        if (facts.Brightness < BrightnessLow - BrightnessMargin || facts.Brightness > BrightnessHigh + BrightnessMargin)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"mean brightness {facts.Brightness:0.00}; the training images' lay within {BrightnessLow:0.00}..{BrightnessHigh:0.00}"));
        }

        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }

    /// <summary>The problem with a profile read from a file, or null.</summary>
    internal string? FindProblem()
    {
        double[] figures = [Colourfulness, BrightnessLow, BrightnessHigh, BrightnessMean, BrightnessStd];
        if (Sampled <= 0 || MinWidth <= 0 || MinHeight <= 0 || MaxWidth < MinWidth || MaxHeight < MinHeight || figures.Any(f => !double.IsFinite(f) || f < 0 || f > 1) || BrightnessHigh < BrightnessLow)
        {
            return "the package metadata's trainingImages section holds an impossible figure (sizes must be positive and ordered, colour and brightness within 0..1)";
        }

        return null;
    }

    private static string Range(int min, int max) => min == max ? min.ToString(CultureInfo.InvariantCulture) : $"{min}-{max}";

    private static double Percentile(double[] sorted, double p) => sorted[(int)Math.Clamp(Math.Round(p * (sorted.Length - 1)), 0, sorted.Length - 1)];
}
