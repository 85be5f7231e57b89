using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Pipeline.Training;

namespace ImageWorkbench.Pipeline.Comparison;

/// <summary>
/// Learning curves: test accuracy against training-set size. Each size is a seeded stratified subset of the training
/// split with that many images per class; the subsets are nested (one random order per class, each subset its first
/// n images), the test split is the same for every point, and every image is featurized once per pipeline
/// (<see cref="StudyFeatures"/>; the CNN's through its feature cache), so a point costs one head fit.
/// </summary>
public static class LearningCurves
{
    /// <summary>Stands for the whole training split in a list of sizes ("all").</summary>
    public const int All = int.MaxValue;

    /// <summary>The default sizes: cheap enough for every <c>compare</c> (a linear head on 50 images or fewer per class fits in a second).</summary>
    public static IReadOnlyList<int> DefaultSizes { get; } = [5, 10, 25, 50, All];

    /// <summary>
    /// The training subsets of <paramref name="sizes"/> (images per class, <see cref="All"/> for the whole split), smallest
    /// first: a size at or above the largest class stands for the whole split, and sizes giving the same subset are
    /// one point.
    /// </summary>
    public static IReadOnlyList<(int PerClass, bool IsAll, IReadOnlyList<LabeledImage> Images)> Subsets(ImageDataset data, IReadOnlyList<int> sizes, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(sizes);
        var largestClass = data.Train.GroupBy(image => image.Label).Select(g => g.Count()).DefaultIfEmpty(0).Max();
        var result = new List<(int, bool, IReadOnlyList<LabeledImage>)>();
        foreach (var perClass in sizes.Select(s => Math.Min(s, largestClass)).Where(s => s > 0).Distinct().Order())
        {
            var isAll = perClass >= largestClass;
            result.Add((perClass, isAll, isAll ? data.Train : DatasetSplitter.Subsample(data.Train, data.Classes, perClass, seed, "learning-curve")));
        }

        return result;
    }

    /// <summary>One curve: <paramref name="trainer"/> fitted on each subset, scored on the whole test split.</summary>
    public static IReadOnlyList<LearningCurvePoint> Measure(StudyFeatures store, TrainerKind trainer, IReadOnlyList<int> sizes, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var data = store.Data;
        store.Ensure([.. data.Train, .. data.Test], cancellationToken);
        var subsets = Subsets(data, sizes, store.Seed);
        var points = new List<LearningCurvePoint>();
        foreach (var (perClass, isAll, images) in subsets)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new TrainingProgress($"learning curve of {store.Pipeline.Name} ({(isAll ? "all" : perClass)} per class)", points.Count, subsets.Count, 0));
            var fit = store.Readable(images, cancellationToken);
            var metrics = store.FitAndScore(trainer, fit, data.Test, cancellationToken);
            var correct = (int)Math.Round(metrics.Accuracy * metrics.Count);
            var (low, high) = Intervals.Wilson(correct, metrics.Count);
            points.Add(new LearningCurvePoint(store.Pipeline.Name, Trainers.Name(trainer), data.Name, perClass, isAll, fit.Count, metrics.Count, metrics.Accuracy, [low, high]));
        }

        progress?.Report(new TrainingProgress($"learning curve of {store.Pipeline.Name}", subsets.Count, subsets.Count, 0));
        return points;
    }
}
