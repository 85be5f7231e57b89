using System.Text.Json.Serialization;
using ImageWorkbench.Runtime.Cnn;

namespace ImageWorkbench.Runtime.Models;

/// <summary>What a saved model package records besides the ML.NET model: enough to use it and to trust it.</summary>
public sealed record ModelMetadata
{
    /// <summary>
    /// The package format this library writes. Packages with a higher number are refused. Version 2 added
    /// <c>SHA256SUMS</c>, a checksum of every entry (version 1 covered only the ML.NET model). Version 3 is a plain
    /// ML.NET model file (<c>mlContext.Model.Load</c> reads it; image bytes in, decoding inside the graph) with
    /// <c>metadata.json</c> and <c>SHA256SUMS</c> as extra entries. Versions 1 and 2 still load.
    /// </summary>
    public const int CurrentFormatVersion = 3;

    /// <summary>The first format whose checksum covers every entry of the package.</summary>
    public const int WholePackageChecksumVersion = 2;

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

    /// <summary>
    /// SHA-256 (hex) of the ML.NET model, checked on load: of the embedded zip (formats 1 and 2), or of the model
    /// entries' <c>SHA256SUMS</c> lines, in file order (format 3).
    /// </summary>
    public string ModelSha256 { get; init; } = string.Empty;

    /// <summary>
    /// What the training images looked like (size range, grey or colour, brightness), for flagging inputs far outside
    /// them; null in packages written before it was recorded (nothing is flagged then).
    /// </summary>
    public TrainingImageProfile? TrainingImages { get; init; }

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

/// <summary>
/// Checks a deserialized <see cref="ModelMetadata"/> in one place, before anything uses it: JSON can hold
/// <c>null</c> where the record says "required", numbers the pipelines never produce, and shapes that would
/// allocate gigabytes. Every rule here names what is wrong, so the caller can name the file.
/// </summary>
internal static class ModelMetadataRules
{
    /// <summary>More classes than any data set this workbench loads; keeps a crafted list from costing memory per prediction.</summary>
    public const int MaxClasses = 10_000;

    /// <summary>Longest class name accepted (characters).</summary>
    public const int MaxClassNameLength = 256;

    /// <summary>The problem with <paramref name="metadata"/>, or null when it is usable.</summary>
    public static string? FindProblem(ModelMetadata metadata)
    {
        // JSON "null" reaches non-nullable members: check every reference before reading through it.
        if (metadata.PipelineKind is null || metadata.FeatureSet is null || metadata.FeatureSetDescription is null
            || metadata.Trainer is null || metadata.Dataset is null || metadata.ModelSha256 is null)
        {
            return "the package metadata lacks a required text field (pipelineKind, featureSet, featureSetDescription, trainer, dataset or modelSha256)";
        }

        if (metadata.Classes is null || metadata.Input is null || metadata.Training is null || metadata.LibraryVersions is null || metadata.Extra is null)
        {
            return "the package metadata lacks a required section (classes, input, training, libraryVersions or extra)";
        }

        return ClassesProblem(metadata.Classes) ?? InputProblem(metadata) ?? TrainingProblem(metadata.Training) ?? metadata.TrainingImages?.FindProblem()
            ?? (metadata.FeatureLength <= 0 ? $"the package metadata gives a feature length of {metadata.FeatureLength}" : null);
    }

    private static string? ClassesProblem(IReadOnlyList<string> classes)
    {
        if (classes.Count < 2)
        {
            return "the package metadata names fewer than two classes";
        }

        if (classes.Count > MaxClasses)
        {
            return $"the package metadata names {classes.Count:N0} classes (at most {MaxClasses:N0} are accepted)";
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < classes.Count; i++)
        {
            var name = classes[i];
            if (string.IsNullOrWhiteSpace(name))
            {
                return $"class {i} in the package metadata has no name";
            }

            if (name.Length > MaxClassNameLength)
            {
                return $"class {i} in the package metadata has a name of {name.Length:N0} characters (at most {MaxClassNameLength})";
            }

            if (!seen.Add(name))
            {
                return $"the package metadata names class {Quoted(name)} twice";
            }
        }

        return null;
    }

    /// <summary>The input shape must be one a pipeline produces: a preset's shape, or a CNN size; anything else is a crafted allocation.</summary>
    private static string? InputProblem(ModelMetadata metadata)
    {
        var input = metadata.Input;
        if (input.ResizeMode is null || !Enum.TryParse<FeatureExtractors.ResizeMode>(input.ResizeMode, ignoreCase: true, out var mode)
            || !Enum.IsDefined(mode) || int.TryParse(input.ResizeMode, out _))
        {
            return $"the package metadata gives an unknown resize mode {Quoted(input.ResizeMode)} (known: {string.Join(", ", Enum.GetNames<FeatureExtractors.ResizeMode>())})";
        }

        if (!float.IsFinite(input.Scale) || input.Scale <= 0)
        {
            return $"the package metadata gives a pixel scale of {input.Scale} (must be a positive number)";
        }

        var shape = $"{input.Width}x{input.Height}x{input.Channels}";
        switch (metadata.PipelineKind)
        {
            case "handcrafted":
                if (!FeatureExtractors.FeatureSetPresets.Names.Contains(metadata.FeatureSet))
                {
                    return $"the package metadata names an unknown feature set {Quoted(metadata.FeatureSet)} (known: {string.Join(", ", FeatureExtractors.FeatureSetPresets.Names)})";
                }

                var preset = FeatureExtractors.FeatureSetPresets.Get(metadata.FeatureSet);
                if (preset.InputShape != new FeatureExtractors.ImageShape(input.Width, input.Height, input.Channels))
                {
                    return $"the package metadata gives input shape {shape}, but feature set {preset.Name} takes {preset.InputShape}";
                }

                return null;
            case "cnn":
            case "hybrid":
                if (metadata.PipelineKind == "hybrid" && !FeatureExtractors.FeatureSetPresets.Names.Contains(metadata.FeatureSet))
                {
                    return $"the package metadata names an unknown feature set {Quoted(metadata.FeatureSet)} (known: {string.Join(", ", FeatureExtractors.FeatureSetPresets.Names)})";
                }

                if (metadata.PipelineKind == "cnn" && shape == "28x28x1" && metadata.Extra.TryGetValue("network", out var network) && network == "onnx-backbone")
                {
                    return null; // an ONNX backbone on 28x28 grey: its graph, saved in the package, checks the rest
                }

                if (input.Channels != 3 || !IsCnnSquare(input))
                {
                    return $"the package metadata gives input shape {shape}, not one the CNN takes (S x S x 3, S a multiple of 32 from {Cnn.ResNet18Model.MinInputSize} to {Cnn.ResNet18Model.MaxInputSize})";
                }

                return null;
            case "cnn-scratch":
                // the shapes the trained network takes (CnnScratchPipeline.InputFor); its ONNX graph checks the rest
                return shape is "28x28x1" or "32x32x3" ? null : $"the package metadata gives input shape {shape}, not one cnn-scratch trains on (28x28x1 or 32x32x3)";
            case "cnn-finetune":
                // the shapes the fine-tuned ResNet18 takes (CnnFinetunePipeline.InputFor): S x S, RGB or one grey plane
                return input.Channels is 1 or 3 && IsCnnSquare(input)
                    ? null
                    : $"the package metadata gives input shape {shape}, not one cnn-finetune trains on (S x S x 3 or S x S x 1, S a multiple of 32 from {Cnn.ResNet18Model.MinInputSize} to {Cnn.ResNet18Model.MaxInputSize})";
            default:
                return $"the package metadata names an unknown pipeline {Quoted(metadata.PipelineKind)} (known: handcrafted, cnn, hybrid, cnn-scratch, cnn-finetune)";
        }
    }

    /// <summary>S x S with S a multiple of 32 the ResNet18 graph takes.</summary>
    private static bool IsCnnSquare(ModelInput input) =>
        input.Height == input.Width && input.Width >= Cnn.ResNet18Model.MinInputSize && input.Width <= Cnn.ResNet18Model.MaxInputSize && input.Width % Cnn.ResNet18Model.MinInputSize == 0;

    private static string? TrainingProblem(TrainingSummary training)
    {
        double[] figures = [training.FeaturizeSeconds, training.TrainSeconds, training.TrainAccuracy, training.TestAccuracy ?? 0];
        if (training.TrainCount < 0 || training.SkippedImages < 0 || training.TestCount < 0 || figures.Any(f => !double.IsFinite(f) || f < 0))
        {
            return "the package metadata's training section holds a negative or non-finite figure";
        }

        return null;
    }

    /// <summary>A value from the file, quoted and with control characters escaped, so it cannot forge output lines.</summary>
    internal static string Quoted(string? value) => MessageText.Quoted(value);
}
