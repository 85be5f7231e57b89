using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Pipeline.Training;

namespace ImageWorkbench.Pipeline.Comparison;

/// <summary>
/// <c>--trainers auto</c> / <c>train --trainer auto</c>: picks a pipeline's trainer on the validation split, never on
/// the test split. The training split is divided again (<see cref="ImageDataset.CarveValidation"/>, seeded and
/// stratified); every candidate is fitted on the rest and scored on the validation images; the best accuracy wins
/// (ties go to the earlier candidate, the pipeline's default first). The caller then refits the winner on the whole
/// training split (training + validation: the validation images are training data once the choice is made) and
/// evaluates it once on the test split. Only training images are ever featurized here.
/// </summary>
public static class TrainerSelector
{
    /// <summary>
    /// The trainers <c>auto</c> tries, the pipeline's default first: L-BFGS, the random-Fourier-features kernel head
    /// (<c>rff</c>) and LightGBM. FastTree is left out:
    /// boosted trees like LightGBM, but one model per class; on the embedded set's 1,826 hand-crafted features its
    /// validation fit ran past 15 minutes on the loaded machine where LightGBM took about one (name it with
    /// <c>--trainers fasttree</c> to compare it directly).
    /// </summary>
    public static IReadOnlyList<TrainerKind> Candidates(IPipelineWing pipeline, ImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(data);
        // SDCA is not tried: it never won on validation (embedded set and Fashion-MNIST subsets, both pipelines:
        // 0.815 tie, 0.800, 0.859, 0.818) and on hand-crafted features it does not converge on separable data, so a
        // fit runs its full default iterations: 55-65 s idle whether on 36 or on 1,000 images. FastTree: over 15 min.
        TrainerKind[] tried = [TrainerKind.Lbfgs, TrainerKind.Rff, TrainerKind.LightGbm];
        var first = pipeline.DefaultTrainerFor(data);
        return [first, .. tried.Where(t => t != first)];
    }

    /// <summary>Chooses among <paramref name="candidates"/> for the store's pipeline on the validation split of its data set's training split.</summary>
    public static TrainerSelection Select(StudyFeatures store, IReadOnlyList<TrainerKind> candidates, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0)
        {
            throw new ArgumentException("no candidate trainers", nameof(candidates));
        }

        store.Ensure(store.Data.Train, cancellationToken); // one featurization call for both parts
        var split = store.Data.CarveValidation(store.Seed, warnings);
        var fit = store.Readable(split.Train, cancellationToken);
        var validation = store.Readable(split.Test, cancellationToken);
        var scored = new List<TrainerCandidate>();
        foreach (var trainer in candidates)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new TrainingProgress($"choosing the {store.Pipeline.Name} trainer on validation ({Trainers.Name(trainer)})", scored.Count, candidates.Count, 0));
            scored.Add(new TrainerCandidate(Trainers.Name(trainer), store.FitAndScore(trainer, fit, validation, cancellationToken).Accuracy));
        }

        progress?.Report(new TrainingProgress($"choosing the {store.Pipeline.Name} trainer on validation", candidates.Count, candidates.Count, 0));
        var best = scored.Aggregate((a, b) => b.ValidationAccuracy > a.ValidationAccuracy ? b : a);
        return new TrainerSelection(store.Pipeline.Name, store.Data.Name, best.Trainer, scored, fit.Count, validation.Count);
    }
}
