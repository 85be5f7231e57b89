using ImageWorkbench.Pipeline.Data;
using Microsoft.ML;

namespace ImageWorkbench.Pipeline.Training;

/// <summary>
/// A wing whose features can be computed once per image and reused for many head fits: trainer selection on the
/// validation split, learning curves and k-fold cross-validation fit a head again and again on subsets of the same
/// images, and featurizing once (the CNN through its feature cache) keeps that cheap. A wing without it is left out of
/// those studies with a note; its normal training is unaffected.
/// </summary>
public interface IReusableFeatures
{
    /// <summary>
    /// The features the wing's head is trained on, for every image of <see cref="FeatureRequest.Images"/> in order:
    /// the same values <see cref="IPipelineWing.Train"/> would compute, or null for an image that cannot be read
    /// (reported to <see cref="FeatureRequest.Warnings"/>).
    /// </summary>
    IReadOnlyList<float[]?> Featurize(FeatureRequest request);
}

/// <summary>One featurization call: the data set (for its classes and image shape), the images and the training options.</summary>
public sealed record FeatureRequest(
    MLContext Ml,
    ImageDataset Data,
    IReadOnlyList<LabeledImage> Images,
    TrainingOptions Options,
    DataWarnings Warnings,
    IProgress<TrainingProgress>? Progress,
    CancellationToken CancellationToken);
