using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;

namespace ImageWorkbench.Pipeline.Training;

/// <summary>
/// A wing whose features can be computed apart from training (<c>pipeline featurize</c>, one shard per machine) and
/// stored, so that a head is fitted later from the stored features (<c>train --features</c>) without decoding an
/// image. The saved package is the same as a direct run's: <see cref="CreateSavedFeaturizer"/> in front of the head.
/// </summary>
public interface IStoredFeaturesWing
{
    /// <summary>What exactly makes the features (network hash, preprocessing, preset version) for this data and these options.</summary>
    StoredFeaturizer DescribeFeaturizer(ImageDataset data, TrainingOptions options);

    /// <summary>A featurizer as <paramref name="featurizer"/> describes it, made once and used for many chunks of images.</summary>
    IFeatureComputer OpenFeaturizer(StoredFeaturizer featurizer, TrainingOptions options);

    /// <summary>The featurizer saved in front of the head, rebuilt from its description; <paramref name="pixels"/> is an (empty) pixels view of the model input.</summary>
    ITransformer CreateSavedFeaturizer(MLContext ml, StoredFeaturizer featurizer, IDataView pixels);
}

/// <summary>Computes features of images, one row of <see cref="StoredFeaturizer.FeatureLength"/> floats per image.</summary>
public interface IFeatureComputer : IDisposable
{
    /// <summary>
    /// Row-major features of <paramref name="images"/>, exactly as a direct training run computes them; the row of an
    /// unreadable image is NaN (it is skipped with a warning in <paramref name="warnings"/>).
    /// </summary>
    float[] Featurize(IReadOnlyList<LabeledImage> images, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>
/// The featurizer of stored features, named exactly: two shards may be trained on together only when these are equal.
/// </summary>
/// <param name="Pipeline">The wing's name, e.g. <c>cnn</c>.</param>
/// <param name="FeatureSet">The feature-set id a package records, e.g. <c>grey28-v1</c> or the CNN preprocessing id.</param>
/// <param name="Description">The feature set in words (as the package metadata gives it).</param>
/// <param name="FeatureLength">Floats per image.</param>
/// <param name="Input">The model input the saved featurizer reads.</param>
/// <param name="Identity">Everything else that changes the features (network and mean-image SHA-256, input size, resize mode, channel order, preset version), sorted by key.</param>
public sealed record StoredFeaturizer(string Pipeline, string FeatureSet, string Description, int FeatureLength, ModelInput Input, SortedDictionary<string, string> Identity);
