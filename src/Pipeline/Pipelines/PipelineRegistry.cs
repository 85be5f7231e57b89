using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Pipelines.CnnFinetune;
using ImageWorkbench.Pipeline.Pipelines.CnnScratch;
using ImageWorkbench.Pipeline.Pipelines.HandCrafted;
using ImageWorkbench.Pipeline.Pipelines.Hybrid;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Pipelines;

/// <summary>
/// Every pipeline of the workbench, in the order <c>compare</c> and <c>bench</c> run them. Adding a pipeline is a new
/// folder beside <c>HandCrafted/</c> and <c>Cnn/</c> with an <see cref="IPipelineWing"/>, plus one line here.
/// </summary>
public static class PipelineRegistry
{
    public static IReadOnlyList<IPipelineWing> All { get; } =
    [
        new HandCraftedPipeline(),
        new CnnPipeline(),
        new HybridPipeline(),
        new CnnScratchPipeline(),
        new CnnFinetunePipeline(),
    ];

    /// <summary>
    /// What <c>compare</c> and <c>bench</c> run when no pipelines are named: every registered one but the CNNs trained
    /// here (from scratch, fine-tuned), which take many minutes on a full data set and are asked for by name (<c>--pipelines</c>).
    /// </summary>
    public static IReadOnlyList<IPipelineWing> RunByDefault { get; } = [.. All.Where(p => p is not (CnnScratchPipeline or CnnFinetunePipeline))];

    /// <summary>
    /// The frozen ResNet18 pipeline, for the figures about its network rather than a pipeline in general: the backbone
    /// against PyTorch and the shard-scaling rows of <c>bench</c>.
    /// </summary>
    public static IPipelineWing FrozenCnn { get; } = All.OfType<CnnPipeline>().Single();

    /// <summary>The pipeline <c>train</c> uses when none is named: the first registered.</summary>
    public static IPipelineWing Default => All[0];

    /// <summary>The names <see cref="TryGet"/> knows, for messages: "handcrafted or cnn".</summary>
    public static string KnownNames =>
        All.Count == 1 ? All[0].Name : string.Join(", ", All.Take(All.Count - 1).Select(p => p.Name)) + " or " + All[^1].Name;

    /// <summary>A pipeline by name or alias (case and surrounding spaces ignored); false for any other name.</summary>
    public static bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPipelineWing? pipeline)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim();
        pipeline = All.FirstOrDefault(p => p.Name.Equals(key, StringComparison.OrdinalIgnoreCase) || p.Aliases.Contains(key, StringComparer.OrdinalIgnoreCase));
        return pipeline is not null;
    }

    public static IPipelineWing Get(string name) =>
        TryGet(name, out var pipeline) ? pipeline : throw new WorkbenchException($"unknown pipeline '{name}' (known: {KnownNames})");
}
