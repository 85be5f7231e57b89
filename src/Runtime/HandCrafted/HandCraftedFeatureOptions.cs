using ImageWorkbench.FeatureExtractors;

namespace ImageWorkbench.Runtime.HandCrafted;

/// <summary>
/// The settings of the hand-crafted extractor, as <c>ml.Transforms.ExtractHandCraftedFeatures(options)</c> takes
/// them. The presets are named values (<see cref="Grey28V1"/>, <see cref="Rgb64V1"/>) and give exactly the preset's
/// features; <c>HandCraftedFeatureOptions.Rgb64V1 with { HogBins = 12 }</c> is a custom set built from the fields.
/// </summary>
/// <remarks>
/// Saving: ML.NET saves a custom mapping as a contract name only and rebuilds it on load from that name alone (the
/// feature-vector length must be a compile-time attribute), so only the presets, which each have a contract, are
/// saved with a model. A custom set works in memory (fit, transform, evaluate); <c>mlContext.Model.Save</c> of a chain
/// holding one fails. Adding a preset (a new contract) is how a custom set becomes saveable.
/// </remarks>
public sealed record HandCraftedFeatureOptions
{
    /// <summary>28x28 grey (MNIST, Fashion-MNIST): two HOG scales, 2x2-averaged pixels, intensity statistics.</summary>
    public static HandCraftedFeatureOptions Grey28V1 { get; } = new()
    {
        Width = 28,
        Height = 28,
        Channels = 1,
        HogCellSize = 4,
        EdgeDensity = false,
        Preset = FeatureSetPresets.Grey28V1Name,
    };

    /// <summary>28x28 grey: <see cref="Grey28V1"/>'s features, then uniform LBP texture histograms on 7x7 cells.</summary>
    public static HandCraftedFeatureOptions Grey28V2 { get; } = Grey28V1 with { Preset = FeatureSetPresets.Grey28V2Name };

    /// <summary>64x64 colour photos: HOG 8x8 cells, a 4x4 Sobel edge-density grid, colour statistics.</summary>
    public static HandCraftedFeatureOptions Rgb64V1 { get; } = new() { Preset = FeatureSetPresets.Rgb64V1Name };

    /// <summary>64x64 colour: <see cref="Rgb64V1"/>'s features, then uniform LBP texture histograms on 8x8 cells.</summary>
    public static HandCraftedFeatureOptions Rgb64V2 { get; } = Rgb64V1 with { Preset = FeatureSetPresets.Rgb64V2Name };

    /// <summary>64x64 colour: <see cref="Rgb64V2"/>'s features, then a 16-pixel HOG scale, an edge-density pyramid, an HSV histogram and Lab colour moments on a 1-2-4 pyramid.</summary>
    public static HandCraftedFeatureOptions Rgb64V3 { get; } = Rgb64V1 with { Preset = FeatureSetPresets.Rgb64V3Name };

    /// <summary>The presets by name.</summary>
    public static IReadOnlyDictionary<string, HandCraftedFeatureOptions> Presets { get; } = new Dictionary<string, HandCraftedFeatureOptions>(StringComparer.Ordinal)
    {
        [FeatureSetPresets.Grey28V1Name] = Grey28V1,
        [FeatureSetPresets.Rgb64V1Name] = Rgb64V1,
        [FeatureSetPresets.Grey28V2Name] = Grey28V2,
        [FeatureSetPresets.Rgb64V2Name] = Rgb64V2,
        [FeatureSetPresets.Rgb64V3Name] = Rgb64V3,
    };

    /// <summary>Input width in pixels (images are resized to it before extraction).</summary>
    public int Width { get; init; } = 64;

    public int Height { get; init; } = 64;

    /// <summary>1 (grey) or 3 (RGB, planar).</summary>
    public int Channels { get; init; } = 3;

    /// <summary>
    /// Derivative kernel of the HOG gradients: <see cref="GradientOperator.CentralDifference"/> (the presets'),
    /// <see cref="GradientOperator.Sobel"/> or <see cref="GradientOperator.Scharr"/>.
    /// </summary>
    public GradientOperator Kernel { get; init; } = GradientOperator.CentralDifference;

    /// <summary>Whether the HOG group is extracted.</summary>
    public bool Hog { get; init; } = true;

    /// <summary>HOG cell side in pixels.</summary>
    public int HogCellSize { get; init; } = 8;

    /// <summary>HOG block side in cells.</summary>
    public int HogBlockSize { get; init; } = 2;

    /// <summary>HOG orientation bins.</summary>
    public int HogBins { get; init; } = 9;

    /// <summary>Signed (0..360 degrees) or unsigned (0..180) HOG orientations.</summary>
    public bool HogSigned { get; init; }

    /// <summary>Whether the edge-density grid (4x4 cells, Sobel magnitude over 0.5, and mean magnitude) is extracted.</summary>
    public bool EdgeDensity { get; init; } = true;

    /// <summary>Whether colour statistics (per channel mean, std, histogram; hue and saturation for RGB) are extracted.</summary>
    public bool ColourStatistics { get; init; } = true;

    /// <summary>The preset these options are, when they equal it exactly; null for a custom set.</summary>
    public string? Preset { get; init; }

    public ImageShape InputShape => new(Width, Height, Channels);

    /// <summary>The preset's name, or null when these options are custom (a preset changed by <c>with</c> included).</summary>
    public string? PresetName => Preset is { } name && Presets.TryGetValue(name, out var preset) && preset == this ? name : null;

    /// <summary>The feature set these options describe: a preset's own definition, or one built from the fields.</summary>
    public FeatureSetDefinition ToDefinition()
    {
        if (PresetName is { } preset)
        {
            return FeatureSetPresets.Get(preset);
        }

        var parts = new List<(string, IFeatureExtractorOptions)>();
        if (Hog)
        {
            parts.Add(("hog", new HogOptions { CellSize = HogCellSize, BlockSize = HogBlockSize, Bins = HogBins, Signed = HogSigned, Operator = Kernel }));
        }

        if (EdgeDensity)
        {
            parts.Add(("edges", new EdgeDensityOptions())); // Sobel: its 0.5 threshold is calibrated for Sobel's gain
        }

        if (ColourStatistics)
        {
            parts.Add(("colour", Channels == 3 ? new ColourStatisticsOptions() : ColourStatisticsOptions.Intensity()));
        }

        if (parts.Count == 0)
        {
            throw new WorkbenchException("hand-crafted options select no feature group (HOG, edge density, colour statistics)");
        }

        try
        {
            return new FeatureSetDefinition("custom", InputShape, parts);
        }
        catch (ArgumentException ex)
        {
            throw new WorkbenchException($"hand-crafted options are not usable: {ex.Message}", ex);
        }
    }
}
