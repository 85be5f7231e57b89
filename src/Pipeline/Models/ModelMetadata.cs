using System.Text.Json.Serialization;

namespace Pipeline.Models;

/// <summary>What a saved model package records besides the ML.NET model: enough to use it and to trust it.</summary>
public sealed record ModelMetadata
{
    /// <summary>The package format this library writes. Packages with a higher number are refused.</summary>
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary><c>handcrafted</c> or <c>cnn</c>.</summary>
    public required string PipelineKind { get; init; }

    /// <summary>Feature set name (a hand-crafted preset such as <c>grey28-v1</c>, or the CNN preprocessing id).</summary>
    public required string FeatureSet { get; init; }

    /// <summary>Every option of the feature set, as text.</summary>
    public required string FeatureSetDescription { get; init; }

    public required int FeatureLength { get; init; }

    /// <summary>Class names in score order.</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    /// <summary>What the model's pixel input column holds.</summary>
    public required ModelInput Input { get; init; }

    public required string Trainer { get; init; }

    public required int Seed { get; init; }

    public required string Dataset { get; init; }

    public required TrainingSummary Training { get; init; }

    /// <summary>Assembly versions of ML.NET, ONNX Runtime and this library at training time.</summary>
    public required IReadOnlyDictionary<string, string> LibraryVersions { get; init; }

    public required DateTimeOffset CreatedUtc { get; init; }

    /// <summary>SHA-256 (hex) of the embedded ML.NET model, checked on load.</summary>
    public string ModelSha256 { get; init; } = string.Empty;

    /// <summary>Extra facts a pipeline kind records (e.g. the CNN's network and preprocessing).</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();
}

/// <summary>The image the model expects: decoded images are resized to this shape before scoring.</summary>
/// <param name="Width">Pixels per row.</param>
/// <param name="Height">Rows.</param>
/// <param name="Channels">1 (grey) or 3 (RGB, planar R, G, B).</param>
/// <param name="ResizeMode">How a differently-sized image is fitted: Stretch, Pad or CenterCrop.</param>
/// <param name="Scale">Pixel values are 0..Scale (1 for 0..1, 255 for 0..255).</param>
public sealed record ModelInput(int Width, int Height, int Channels, string ResizeMode, float Scale)
{
    [JsonIgnore]
    public FeatureExtractors.ImageShape Shape => new(Width, Height, Channels);
}

/// <summary>Facts of the training run, recorded for reports and for trusting a model later.</summary>
public sealed record TrainingSummary
{
    public required int TrainCount { get; init; }

    public required int SkippedImages { get; init; }

    public required double FeaturizeSeconds { get; init; }

    public required double TrainSeconds { get; init; }

    /// <summary>Accuracy on the training images (a sanity figure, not a test result).</summary>
    public required double TrainAccuracy { get; init; }

    /// <summary>Test accuracy when the training run evaluated on a held-out split; null otherwise.</summary>
    public double? TestAccuracy { get; init; }

    public int? TestCount { get; init; }
}
