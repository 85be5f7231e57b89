using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Pipeline.Comparison;

/// <summary>
/// One pipeline's features of the images a study asked for, each image featurized once (through the wing's
/// <see cref="IReusableFeatures"/>) however many heads are then fitted on it. Images are told apart by reference, so
/// the subsets of a split (<see cref="ImageDataset.CarveValidation"/>, nested subsamples, folds) find their rows.
/// </summary>
public sealed class StudyFeatures
{
    private readonly Dictionary<LabeledImage, float[]?> rows = new(ReferenceEqualityComparer.Instance);
    private readonly IReusableFeatures featurizer;
    private readonly TrainingOptions options;
    private readonly ImageDataset data;
    private readonly DataWarnings warnings;
    private readonly IProgress<TrainingProgress>? progress;
    private int length;

    /// <param name="options">The training options (pipeline, seed, pipeline options) the features follow.</param>
    /// <param name="data">The data set the images come from (classes, image shape).</param>
    /// <param name="warnings">Where unreadable images are reported; a comparison passes a quiet one, since its main runs report them.</param>
    /// <param name="progress">Featurization progress.</param>
    public StudyFeatures(TrainingOptions options, ImageDataset data, DataWarnings warnings, IProgress<TrainingProgress>? progress)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(warnings);
        featurizer = options.Pipeline as IReusableFeatures
            ?? throw new WorkbenchException($"the {options.Pipeline.Name} pipeline cannot featurize images on their own, which trainer selection, learning curves and folds need");
        this.options = options;
        this.data = data;
        this.warnings = warnings;
        this.progress = progress;
    }

    /// <summary>True when <paramref name="pipeline"/> can be studied (its wing implements <see cref="IReusableFeatures"/>).</summary>
    public static bool Supports(IPipelineWing pipeline) => pipeline is IReusableFeatures;

    public IPipelineWing Pipeline => options.Pipeline;

    public ImageDataset Data => data;

    public int Seed => options.Seed;

    public int? MaxIterations => options.MaxIterations;

    /// <summary>Every image featurized so far (tests check that a selection never featurized a test image).</summary>
    public IReadOnlyCollection<LabeledImage> Featurized => rows.Keys;

    /// <summary>Featurizes, in one call to the wing, those of <paramref name="images"/> not featurized yet.</summary>
    public void Ensure(IReadOnlyList<LabeledImage> images, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(images);
        var missing = images.Where(image => !rows.ContainsKey(image)).Distinct(ReferenceEqualityComparer.Instance).Cast<LabeledImage>().ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var features = featurizer.Featurize(new FeatureRequest(new MLContext(options.Seed), data, missing, options, warnings, progress, cancellationToken));
        for (var i = 0; i < missing.Count; i++)
        {
            rows[missing[i]] = features[i];
            length = features[i]?.Length ?? length;
        }
    }

    /// <summary>Readable images of <paramref name="images"/> (featurizing any not seen yet), in order.</summary>
    public IReadOnlyList<LabeledImage> Readable(IReadOnlyList<LabeledImage> images, CancellationToken cancellationToken)
    {
        Ensure(images, cancellationToken);
        return [.. images.Where(image => rows[image] is not null)];
    }

    /// <summary>
    /// Fits <paramref name="trainer"/> on the features of <paramref name="fit"/> and scores <paramref name="score"/>
    /// (unreadable images of either left out). A fresh context seeded like the comparison, so the same seed and
    /// images give the same head.
    /// </summary>
    public ClassificationMetrics FitAndScore(TrainerKind trainer, IReadOnlyList<LabeledImage> fit, IReadOnlyList<LabeledImage> score, CancellationToken cancellationToken)
    {
        var fitRows = Readable(fit, cancellationToken);
        var scoreRows = Readable(score, cancellationToken);
        var ml = new MLContext(options.Seed);
        var head = CancellableFit.Fit(ml, Trainers.CreateHead(ml, trainer, options.MaxIterations, fitRows.Count, length), View(ml, fitRows, cancellationToken), cancellationToken);
        var (labels, scores, indices) = ModelScoring.Collect(head.Transform(View(ml, scoreRows, cancellationToken)), cancellationToken);
        return ClassificationMetrics.Compute(data.Classes, labels, scores, [.. indices.Select(i => scoreRows[i].Source.Name)]);
    }

    /// <summary>The rows of readable <paramref name="images"/> as a training view (Features, Label, Index into the list).</summary>
    private IDataView View(MLContext ml, IReadOnlyList<LabeledImage> images, CancellationToken cancellationToken)
    {
        var matrix = new FeatureMatrix(length, images.Count);
        for (var i = 0; i < images.Count; i++)
        {
            rows[images[i]]!.CopyTo(matrix.AddRow((uint)images[i].Label, i));
        }

        return matrix.AsDataView(ml, new VectorDataViewType(NumberDataViewType.Single, length), data.Classes.Count, cancellationToken);
    }
}
