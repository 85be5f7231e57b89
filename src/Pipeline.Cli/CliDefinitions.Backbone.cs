using System.Globalization;
using ImageWorkbench.Runtime.Cnn;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary>The options of <c>--backbone model.onnx</c> (train, compare, featurize; the cnn and hybrid pipelines): any ONNX network as the frozen CNN.</summary>
internal static partial class Opt
{
    public static readonly CliOption<string> Backbone = CliOptions.Text(
        "backbone", "FILE", "Any ONNX network as the frozen CNN instead of the packaged ResNet18: its input, size, layout and feature layer are read from the graph unless given below; the rewritten graph is saved in the model (cnn, hybrid; train, compare, featurize)",
        "the packaged ResNet18");

    public static readonly CliOption<string> BackboneInput = CliOptions.Text("backbone-input", "NAME", "The backbone's image input (with --backbone)", "its only input");

    public static readonly CliOption<string> BackboneOutput = CliOptions.Text(
        "backbone-output", "NAME", "The tensor taken as the features, flattened (with --backbone)", "the output of the last Flatten, GlobalAveragePool or GlobalMaxPool node, else the graph's output");

    public static readonly CliOption<int?> BackboneSize = CliOptions.OptionalInt("backbone-size", "Side of the backbone's square input in pixels, for a graph that leaves it symbolic (with --backbone)", 8, 1024, "the input's shape");

    public static readonly CliOption<BackboneLayout?> BackboneLayoutOption = CliOptions.Choice<BackboneLayout?>(
        "backbone-layout", "How the backbone's input is laid out (with --backbone)", ["nchw", "nhwc"],
        text => text.Trim().ToLowerInvariant() switch
        {
            "nchw" => BackboneLayout.Nchw,
            "nhwc" => BackboneLayout.Nhwc,
            _ => throw new UsageException($"--backbone-layout must be nchw or nhwc, got '{text}'"),
        },
        defaultText: "from the input's shape (channels 1 or 3 in second or last place)");

    public static readonly CliOption<IReadOnlyList<float>> BackboneMean = new(
        "backbone-mean", "M[,M,M]", "Per-channel mean subtracted on the 0..1 scale, R,G,B (with --backbone)",
        text => ParseFloats("backbone-mean", text), defaultText: "the model's metadata 'mean', else ImageNet's 0.485,0.456,0.406 (grey: 0)");

    public static readonly CliOption<IReadOnlyList<float>> BackboneStd = new(
        "backbone-std", "S[,S,S]", "Per-channel standard deviation divided by, on the 0..1 scale (with --backbone)",
        text => ParseFloats("backbone-std", text), defaultText: "the model's metadata 'std', else ImageNet's 0.229,0.224,0.225 (grey: 1)");

    public static readonly CliOption[] BackboneOptions = [Backbone, BackboneInput, BackboneOutput, BackboneSize, BackboneLayoutOption, BackboneMean, BackboneStd];

    /// <summary>The backbone options of a command line; null without <c>--backbone</c> (then none of the others may be given).</summary>
    public static BackboneOptions? BackboneFrom(CommandLine line)
    {
        if (line.Get(Backbone) is not { } path)
        {
            line.Refuse(BackboneOptions, "applies only with --backbone");
            return null;
        }

        line.Refuse(new[] { InputSize }.Where(line.Command.Options.Contains), "does not apply with --backbone (the size is the backbone's: its input shape or --backbone-size)");
        return new BackboneOptions
        {
            Path = path,
            Input = line.Get(BackboneInput),
            Output = line.Get(BackboneOutput),
            Size = line.Get(BackboneSize),
            Layout = line.Get(BackboneLayoutOption),
            Mean = line.Get(BackboneMean),
            Std = line.Get(BackboneStd),
        };
    }

    private static IReadOnlyList<float> ParseFloats(string name, string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
            {
                throw new UsageException($"--{name} must be one number or three, comma-separated (e.g. 0.485,0.456,0.406), got '{text}'");
            }
        }

        return parts.Length is 1 or 3 ? values : throw new UsageException($"--{name} must be one number or three, comma-separated, got '{text}'");
    }
}
