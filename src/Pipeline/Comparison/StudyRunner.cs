using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Pipeline.Training;

namespace ImageWorkbench.Pipeline.Comparison;

/// <summary>What a comparison studies beside its main runs (none by default; <c>compare</c> turns the learning curve on).</summary>
public sealed record StudyOptions
{
    /// <summary>Choose each pipeline's trainer on the validation split (<see cref="TrainerSelector"/>) instead of its default.</summary>
    public bool AutoTrainer { get; init; }

    /// <summary>Learning-curve sizes in training images per class (<see cref="LearningCurves.All"/> = the whole split); empty: no curve.</summary>
    public IReadOnlyList<int> LearningCurve { get; init; } = [];

    /// <summary>Folds of the cross-validation on the training split; null: none.</summary>
    public int? Folds
    {
        get => _folds;
        init => _folds = value is < 2 ? throw new ArgumentOutOfRangeException(nameof(value), value, "at least 2 folds") : value;
    }

    private readonly int? _folds;
}

/// <summary>
/// Runs the studies of one comparison: the trainer choice before a pipeline's main run, then the learning curves and
/// folds of every run's pipeline and trainer. Features are computed once per pipeline and shared by all three; a
/// pipeline whose wing cannot featurize on its own (<see cref="IReusableFeatures"/>) keeps its default trainer and is
/// left out of the studies. Unreadable images go to a quiet warnings list: the main runs report them.
/// </summary>
internal sealed class StudyRunner(ImageDataset data, ComparisonOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
{
    private readonly DataWarnings quiet = new();
    private readonly Dictionary<string, StudyFeatures> stores = new(StringComparer.Ordinal);
    private readonly List<TrainerSelection> selections = [];

    private StudyOptions Studies => options.Studies;

    /// <summary>The trainer chosen on validation for <paramref name="pipeline"/>, or null (the pipeline's default) when not asked for.</summary>
    public TrainerKind? ChooseTrainer(IPipelineWing pipeline)
    {
        if (!Studies.AutoTrainer || Store(pipeline) is not { } store)
        {
            return null;
        }

        var selection = TrainerSelector.Select(store, TrainerSelector.Candidates(pipeline, store.Data), quiet, progress, cancellationToken);
        selections.Add(selection);
        return Trainers.Parse(selection.Chosen);
    }

    /// <summary>The learning curves and folds of every (pipeline, trainer) of <paramref name="runs"/>, with the selections made.</summary>
    public ComparisonStudies Finish(IReadOnlyList<PipelineRun> runs)
    {
        var curve = new List<LearningCurvePoint>();
        var folds = new List<FoldSummary>();
        foreach (var (name, trainerName) in runs.Select(r => (r.Pipeline, r.Trainer)).Distinct())
        {
            if (options.Pipelines.FirstOrDefault(p => p.Name == name) is not { } pipeline || Store(pipeline) is not { } store
                || !Trainers.TryParse(trainerName, out var trainer))
            {
                continue;
            }

            if (Studies.LearningCurve.Count > 0)
            {
                curve.AddRange(LearningCurves.Measure(store, trainer, Studies.LearningCurve, progress, cancellationToken));
            }

            if (Studies.Folds is { } k)
            {
                folds.Add(CrossValidation.Run(store, trainer, k, progress, cancellationToken));
            }
        }

        stores.Clear();
        return new ComparisonStudies(selections, curve, folds);
    }

    private StudyFeatures? Store(IPipelineWing pipeline)
    {
        if (!StudyFeatures.Supports(pipeline))
        {
            return null;
        }

        if (!stores.TryGetValue(pipeline.Name, out var store))
        {
            var trainingOptions = new TrainingOptions { Pipeline = pipeline, Seed = options.Seed, MaxBadImageFraction = options.MaxBadImageFraction, PipelineOptions = options.PipelineOptions };
            stores[pipeline.Name] = store = new StudyFeatures(trainingOptions, data, quiet, progress);
        }

        return store;
    }
}
