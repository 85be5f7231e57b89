using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Pipeline.Training;

namespace ImageWorkbench.Pipeline.Comparison;

/// <summary>
/// k-fold cross-validation on the training split (<c>compare --folds K</c>): seeded stratified folds
/// (<see cref="DatasetSplitter.Folds"/>), each scored by a head fitted on the other k - 1 from features computed once;
/// the test split is not used. Gives the mean and sample standard deviation of each metric, which says how much a
/// figure moves with the particular images drawn.
/// </summary>
public static class CrossValidation
{
    /// <summary>The metrics summarised, by their report.json key.</summary>
    public static IReadOnlyList<string> MetricNames { get; } = ["accuracy", "macroAccuracy", "macroF1", "logLoss"];

    /// <summary>The training images in fold <paramref name="fold"/> and in the others, from the seeded assignment.</summary>
    public static (IReadOnlyList<LabeledImage> Fit, IReadOnlyList<LabeledImage> Held) Split(ImageDataset data, int k, int seed, int fold)
    {
        ArgumentNullException.ThrowIfNull(data);
        var folds = DatasetSplitter.Folds(data.Train, data.Classes, k, seed);
        return ([.. data.Train.Where((_, i) => folds[i] != fold)], [.. data.Train.Where((_, i) => folds[i] == fold)]);
    }

    public static FoldSummary Run(StudyFeatures store, TrainerKind trainer, int k, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var data = store.Data;
        store.Ensure(data.Train, cancellationToken);
        var values = MetricNames.ToDictionary(name => name, _ => new List<double>(), StringComparer.Ordinal);
        for (var fold = 0; fold < k; fold++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new TrainingProgress($"{k}-fold cross-validation of {store.Pipeline.Name}", fold, k, 0));
            var (fit, held) = Split(data, k, store.Seed, fold);
            var metrics = store.FitAndScore(trainer, fit, held, cancellationToken);
            values["accuracy"].Add(metrics.Accuracy);
            values["macroAccuracy"].Add(metrics.MacroAccuracy);
            values["macroF1"].Add(metrics.MacroF1);
            values["logLoss"].Add(metrics.LogLoss);
        }

        progress?.Report(new TrainingProgress($"{k}-fold cross-validation of {store.Pipeline.Name}", k, k, 0));
        return new FoldSummary(store.Pipeline.Name, Trainers.Name(trainer), data.Name, k, MetricNames.ToDictionary(name => name, name => FoldMetric.Of(values[name]), StringComparer.Ordinal));
    }
}
