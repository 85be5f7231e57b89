using ImageWorkbench.Pipeline.Training.Torch;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Pipelines.CnnScratch;

/// <summary>
/// cnn-scratch's training plan: a <see cref="ScratchNetwork"/> trained by the shared <see cref="TorchTrainer"/> (Adam,
/// cosine schedule, random flips and one-pixel shifts, early stopping on the validation split, Ctrl+C at the next batch).
/// </summary>
internal static class ScratchTrainer
{
    public static TorchWingPlan Plan(CnnScratchOptions options, int classes, ModelInput input, string description) => new(
        input,
        new TorchFitSettings(options.Epochs, options.BatchSize, options.LearningRate, options.Patience, Flip: true, MaxShift: 1),
        options.Threads ?? CnnScratchOptions.DefaultThreads,
        "cnn-scratch-" + options.Architecture.ToString().ToLowerInvariant(),
        description,
        () => ScratchNetwork.Create(options.Architecture, input.Channels, input.Height, input.Width, classes),
        network => Runtime.Cnn.OnnxClassifierGraph.Build(input.Channels, input.Height, input.Width, ((ScratchNetwork)network).ExportLayers(), classes, "ImageWorkbench cnn-scratch"),
        new Dictionary<string, string> { ["architecture"] = options.Architecture.ToString().ToLowerInvariant() });

    public static (ScratchNetwork Network, IReadOnlyList<EpochSummary> Epochs, int BestEpoch) Train(
        CnnScratchOptions options, int seed, int classes, ModelInput input, DecodedImages train, DecodedImages validation,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var (network, epochs, best) = TorchWingTraining.Fit(Plan(options, classes, input, string.Empty), seed, train, validation, progress, cancellationToken);
        return ((ScratchNetwork)network, epochs, best);
    }

    /// <summary>Share of <paramref name="images"/> the network labels right (eval mode).</summary>
    public static double Accuracy(ScratchNetwork network, DecodedImages images, CancellationToken cancellationToken) =>
        TorchTrainer.Accuracy(network, images, cancellationToken);
}
