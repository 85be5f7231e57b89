namespace ImageWorkbench.Pipeline.Results;

/// <summary>
/// What a comparison studied beside the main runs: the trainer chosen per pipeline on the validation split, the
/// learning curves and the k-fold cross-validation. Each list is empty when that study was not asked for.
/// </summary>
public sealed record ComparisonStudies(
    IReadOnlyList<TrainerSelection> Selection,
    IReadOnlyList<LearningCurvePoint> LearningCurve,
    IReadOnlyList<FoldSummary> Folds)
{
    public static ComparisonStudies None { get; } = new([], [], []);
}

/// <summary>A trainer's accuracy on the validation split when fitted on the rest of the training split.</summary>
public sealed record TrainerCandidate(string Trainer, double ValidationAccuracy);

/// <summary>
/// The trainer chosen for one pipeline: every candidate was fitted on the training split minus the validation split
/// and scored on the validation split (<c>ImageDataset.CarveValidation</c>); the best was then refitted on the whole
/// training split (training + validation) and evaluated once on the test split.
/// </summary>
/// <param name="Pipeline">The pipeline's name.</param>
/// <param name="DatasetName">The data set.</param>
/// <param name="Chosen">The trainer with the highest validation accuracy (ties: the earlier candidate, the pipeline's default first).</param>
/// <param name="Candidates">Every candidate, in the order tried.</param>
/// <param name="FitCount">Images the candidates were fitted on.</param>
/// <param name="ValidationCount">Images they were scored on.</param>
public sealed record TrainerSelection(string Pipeline, string DatasetName, string Chosen, IReadOnlyList<TrainerCandidate> Candidates, int FitCount, int ValidationCount);

/// <summary>
/// One point of a learning curve: the pipeline's head fitted on a seeded stratified subset of the training split with
/// <paramref name="TrainPerClass"/> images per class (subsets nested: each inside the next) and scored on the whole test split.
/// </summary>
/// <param name="Pipeline">The pipeline's name.</param>
/// <param name="Trainer">The head's trainer (the pipeline's trainer in the comparison).</param>
/// <param name="DatasetName">The data set.</param>
/// <param name="TrainPerClass">Training images per class asked for (a class with fewer gives all it has).</param>
/// <param name="IsAll">True for the whole training split.</param>
/// <param name="TrainCount">Training images used.</param>
/// <param name="TestCount">Test images scored.</param>
/// <param name="Accuracy">Test accuracy.</param>
/// <param name="AccuracyCi95">Wilson 95 % interval of the accuracy, [low, high].</param>
public sealed record LearningCurvePoint(string Pipeline, string Trainer, string DatasetName, int TrainPerClass, bool IsAll, int TrainCount, int TestCount, double Accuracy, IReadOnlyList<double> AccuracyCi95);

/// <summary>
/// k-fold cross-validation of one pipeline on the training split (seeded, stratified folds; the test split unused):
/// each fold scored by a head fitted on the other k - 1.
/// </summary>
/// <param name="Pipeline">The pipeline's name.</param>
/// <param name="Trainer">The head's trainer.</param>
/// <param name="DatasetName">The data set.</param>
/// <param name="K">Folds.</param>
/// <param name="Metrics">Metric name (accuracy, macroAccuracy, macroF1, logLoss) -> mean, standard deviation and per-fold values.</param>
public sealed record FoldSummary(string Pipeline, string Trainer, string DatasetName, int K, IReadOnlyDictionary<string, FoldMetric> Metrics);

/// <summary>One metric over the folds: mean, sample standard deviation (n - 1) and the value of each fold, in fold order.</summary>
public sealed record FoldMetric(double Mean, double Std, IReadOnlyList<double> Values)
{
    public static FoldMetric Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var mean = values.Count == 0 ? double.NaN : values.Average();
        var std = values.Count < 2 ? double.NaN : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new FoldMetric(mean, std, values);
    }
}
