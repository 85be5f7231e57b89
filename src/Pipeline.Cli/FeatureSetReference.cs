using System.Globalization;
using System.Text;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Training;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary>
/// README's feature-set and trainer table, made from the presets' definitions (<see cref="FeatureSetPresets"/>), the
/// hand-crafted pipeline's default rule and each pipeline's default head, so the table cannot drift from the code: a
/// test compares README's block with <see cref="Markdown"/>.
/// </summary>
internal static class FeatureSetReference
{
    /// <summary>README's block: <c>&lt;!-- generated:feature-sets:begin --&gt;</c> ... <c>end</c>.</summary>
    public const string Section = "feature-sets";

    private static readonly (string Kind, ImageShape? Shape, int TrainImages)[] DataKinds =
    [
        (string.Create(CultureInfo.InvariantCulture, $"28x28 grey images, under {FeatureSetPresets.LargeSetImages:N0} training images"), new ImageShape(28, 28, 1), 0),
        (string.Create(CultureInfo.InvariantCulture, $"28x28 grey images, from {FeatureSetPresets.LargeSetImages:N0} training images"), new ImageShape(28, 28, 1), FeatureSetPresets.LargeSetImages),
        ("everything else (photos)", null, 0),
    ];

    public static string Markdown()
    {
        var text = new StringBuilder();
        text.Append("| Feature set | Input | Features | Segments (features) | Default for |\n|---|---|--:|---|---|\n");
        foreach (var name in FeatureSetPresets.Names)
        {
            var definition = FeatureSetPresets.Get(name);
            var segments = string.Join(", ", definition.Segments.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Name} {s.Length:N0}")));
            var defaultFor = string.Join(", ", DataKinds.Where(k => FeatureSetPresets.DefaultFor(k.Shape, k.TrainImages) == name).Select(k => k.Kind));
            text.Append(CultureInfo.InvariantCulture, $"| `{name}` | {definition.InputShape} | {definition.OutputLength:N0} | {segments} | {(defaultFor.Length > 0 ? defaultFor : "-")} |\n");
        }

        text.Append("\n| Pipeline | Default trainer | Other trainers (`--trainer`) |\n|---|---|---|\n");
        foreach (var pipeline in PipelineRegistry.All)
        {
            if (pipeline.TrainsOwnHead)
            {
                text.Append(CultureInfo.InvariantCulture, $"| `{pipeline.Name}` | its own network's softmax | - |\n");
                continue;
            }

            var others = Trainers.KnownNames.Split(", ").Where(t => t != Trainers.Name(pipeline.DefaultTrainer));
            text.Append(CultureInfo.InvariantCulture, $"| `{pipeline.Name}` | {pipeline.DefaultTrainerRule} | {string.Join(", ", others.Select(t => $"`{t}`"))}, `auto` |\n");
        }

        return text.ToString();
    }
}
