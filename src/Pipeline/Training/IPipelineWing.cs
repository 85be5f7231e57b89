using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Measuring;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;

namespace ImageWorkbench.Pipeline.Training;

/// <summary>
/// One pipeline of the workbench (a "wing"): how it turns images into features for training, which head it trains by
/// default, the featurizer it saves in front of the head, and how its featurization cost is probed. Each wing is one
/// folder under <c>src/Pipeline/Pipelines/</c>, registered with one line in <c>PipelineRegistry</c>; nothing else
/// names a particular pipeline.
/// </summary>
public interface IPipelineWing
{
    /// <summary>The name on the command line, in a package's metadata (<see cref="ModelMetadata.PipelineKind"/>) and in file names, e.g. <c>handcrafted</c>.</summary>
    string Name { get; }

    /// <summary>Other spellings accepted on the command line, e.g. <c>hand-crafted</c>.</summary>
    IReadOnlyList<string> Aliases { get; }

    /// <summary>How reports name it in prose after "the", e.g. <c>hand-crafted pipeline</c>, <c>CNN</c>.</summary>
    string DisplayName { get; }

    /// <summary>Its side when the report compares two pipelines: the higher rank is B, the one measured against the other.</summary>
    int ComparisonRank { get; }

    /// <summary>The trainer used when none is asked for, chosen by accuracy for its cost (README, "Choosing the default trainer").</summary>
    TrainerKind DefaultTrainer { get; }

    /// <summary>
    /// The trainer used on <paramref name="data"/> when none is asked for: <see cref="DefaultTrainer"/> unless the wing
    /// measured that the best head depends on the kind or size of the data (the CNN: see its override).
    /// </summary>
    TrainerKind DefaultTrainerFor(ImageDataset data) => DefaultTrainer;

    /// <summary>How <see cref="DefaultTrainerFor"/> picks, in words, for README's generated trainer table (Markdown).</summary>
    string DefaultTrainerRule => $"`{Trainers.Name(DefaultTrainer)}`";

    /// <summary>Command-line options (without <c>--</c>) that only this pipeline reads; the CLI refuses them for the others.</summary>
    IReadOnlyList<string> OwnOptions { get; }

    /// <summary>
    /// True for a pipeline that trains its own head (a network trained end to end) instead of an ML.NET trainer: <c>train
    /// --trainer</c> is refused for it and <c>compare --trainers</c> runs it once. False by default.
    /// </summary>
    bool TrainsOwnHead => false;

    /// <summary>Featurizes the training split and fits the head through <see cref="ModelTrainer.FitHead"/>.</summary>
    TrainingResult Train(TrainingRun run);

    /// <summary>
    /// The featurization rates <c>pipeline bench</c> reports: the featurizer alone on decoded images and decode +
    /// featurize, on one thread and on all threads, for the package trained as <paramref name="metadata"/> describes.
    /// </summary>
    FeaturizeRates MeasureFeaturization(ImageDataset data, ModelMetadata metadata, ProbeSettings probe, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>A pipeline's own options record, carried in <see cref="TrainingOptions.PipelineOptions"/>.</summary>
public interface IPipelineOptions;

/// <summary>One training call as a wing receives it: the context, the data, the options and the trainer already chosen.</summary>
public sealed record TrainingRun(
    MLContext Ml,
    ImageDataset Data,
    TrainingOptions Options,
    TrainerKind Trainer,
    DataWarnings Warnings,
    IProgress<TrainingProgress>? Progress,
    CancellationToken CancellationToken);

/// <summary>
/// What a wing hands to <see cref="ModelTrainer.FitHead"/>: the featurized training rows and how to describe and
/// rebuild the featurizer for the saved chain.
/// </summary>
public sealed record FeaturizedTrainingSet
{
    /// <summary>Features, Label (key) and Index columns of every readable training image.</summary>
    public required IDataView Features { get; init; }

    /// <summary>The schema the saved chain reads (the Pixels column of <see cref="ImageRows"/>).</summary>
    public required DataViewSchema PixelsSchema { get; init; }

    /// <summary>The model input: size, channels and resize mode of the pixels.</summary>
    public required ModelInput Input { get; init; }

    /// <summary>Feature-set id recorded in the metadata, e.g. <c>grey28-v1</c> or a CNN preprocessing id.</summary>
    public required string FeatureSet { get; init; }

    public required string FeatureSetDescription { get; init; }

    public required int FeatureLength { get; init; }

    /// <summary>Seconds spent featurizing the training split.</summary>
    public required double FeaturizeSeconds { get; init; }

    /// <summary>Pipeline-specific facts for the metadata's <see cref="ModelMetadata.Extra"/>.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Makes the featurizer that goes into the saved chain in front of the head; called once, after
    /// <see cref="EvaluateHead"/> when that is set.
    /// </summary>
    public required Func<ITransformer> CreateSavedFeaturizer { get; init; }

    /// <summary>
    /// Evaluates the head alone on the test split (the CNN does this on its fast engine, then frees it); null
    /// evaluates the whole saved chain on the test images.
    /// </summary>
    public Func<ITransformer, Evaluation.ClassificationMetrics>? EvaluateHead { get; init; }

    /// <summary>
    /// The head estimator when the wing makes its own (the hybrid's block-weighted linear head); null takes
    /// <see cref="Trainers.CreateHead"/> for the run's trainer.
    /// </summary>
    public IEstimator<ITransformer>? Head { get; init; }

    /// <summary>Seconds the wing spent choosing <see cref="Head"/> on validation: counted in the training time.</summary>
    public double HeadChoiceSeconds { get; init; }
}
