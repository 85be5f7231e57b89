using System.Globalization;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Pipeline.Pipelines.Hybrid;

/// <summary>One block weighting scored on the validation split.</summary>
/// <param name="CnnToHand">Weight of a standardised CNN feature over that of a standardised hand-crafted one.</param>
/// <param name="Accuracy">Validation accuracy of the head fitted with it.</param>
/// <param name="LogLoss">Its validation log-loss (breaks accuracy ties).</param>
public sealed record HybridWeightCandidate(double CnnToHand, double Accuracy, double LogLoss);

/// <summary>The block weighting a hybrid linear head was fitted with, and every candidate's validation figures.</summary>
public sealed record HybridWeightChoice(double CnnToHand, IReadOnlyList<HybridWeightCandidate> Candidates, int FitCount, int ValidationCount)
{
    /// <summary>One line for the model's metadata, e.g. <c>cnn:hand 4 (validation, 800 fitted / 200 held out: x1 0.850/0.41, ...)</c>.</summary>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"cnn:hand {CnnToHand:0.###} (chosen on validation, {FitCount:N0} fitted / {ValidationCount:N0} held out, accuracy/log-loss: {string.Join(", ", Candidates.Select(c => $"x{c.CnnToHand:0.###} {c.Accuracy:0.0000}/{c.LogLoss:0.000}"))})");
}

/// <summary>
/// The hybrid's linear head weighs its two blocks. Every feature is standardised as in the other linear heads, then
/// each hand-crafted feature is multiplied by <c>1/sqrt(r)</c> and each CNN feature by <c>sqrt(r)</c>, where r is the
/// CNN-to-hand-crafted weight ratio. Under the head's one L2 penalty a block weighted up is cheaper for the model to
/// lean on, so r moves the head between "mostly hand-crafted" and "mostly CNN"; r = 1 is the plain standardised
/// concatenation. r is chosen on a validation split carved from the training split (<see cref="ImageDataset.CarveValidation"/>),
/// never on test: the side that is better on this data set gets the weight, whichever side that is.
/// </summary>
/// <remarks>
/// The weights live in the saved model without a custom transform: ML.NET's mean-variance normaliser with
/// <c>fixZero</c> (no offset, scale proportional to 1 / the feature's spread) is scale-equivariant, so fitting it on
/// rows whose features are divided by their weights gives a normaliser that standardises <i>and</i> weights in one
/// saved step. A test checks that equivalence.
/// </remarks>
internal static class HybridBlockWeights
{
    /// <summary>
    /// The CNN-to-hand-crafted ratios tried, the even weighting first: 1/4 leans on the hand-crafted block (Fashion-MNIST,
    /// where it is the better side), 4 and 16 on the CNN block (photos, where the CNN alone is near perfect).
    /// </summary>
    public static IReadOnlyList<double> Ratios { get; } = [1, 0.25, 4, 16];

    /// <summary>
    /// Most rows a candidate is fitted on: above it, a seeded sample of the fitting part (scored on the whole validation
    /// part). Four L-BFGS fits on full Fashion-MNIST's 48,000 fitting rows x 2,338 features would cost more than the
    /// head itself; the L2 weight is per row, so a sample keeps the regularisation the full fit will have.
    /// </summary>
    public const int MaxFitRows = 10_000;

    /// <summary>The weight of every slot: <paramref name="handLength"/> hand-crafted features, then the CNN block.</summary>
    public static float[] SlotWeights(int handLength, int length, double cnnToHand)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cnnToHand);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(handLength, length);
        var weights = new float[length];
        var root = Math.Sqrt(cnnToHand);
        weights.AsSpan(0, handLength).Fill((float)(1 / root));
        weights.AsSpan(handLength).Fill((float)root);
        return weights;
    }

    /// <summary>
    /// The weighted linear head for <paramref name="rows"/> (only <paramref name="subset"/> when given): the weighted
    /// normaliser, fitted here on those rows, then <paramref name="trainer"/> (SDCA or L-BFGS), fitted by the caller.
    /// </summary>
    public static IEstimator<ITransformer> CreateHead(MLContext ml, FeatureMatrix rows, IReadOnlyList<int>? subset, float[] weights, TrainerKind trainer, int? maxIterations, int classCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(weights);
        var inverse = new float[weights.Length];
        for (var i = 0; i < weights.Length; i++)
        {
            inverse[i] = 1f / weights[i];
        }

        var scaled = rows.AsDataView(ml, new VectorDataViewType(NumberDataViewType.Single, rows.Length), classCount, cancellationToken, subset, inverse);
        var normalizer = ml.Transforms.NormalizeMeanVariance(Trainers.FeaturesColumn, fixZero: true).Fit(scaled);
        return new PrefittedHead(normalizer, Trainers.CreateLinearTrainer(ml, trainer, maxIterations, subset?.Count ?? rows.Count));
    }

    /// <summary>
    /// Fits the head with every ratio of <see cref="Ratios"/> on the fitting part (at most <see cref="MaxFitRows"/> of it)
    /// of a validation split carved from <paramref name="data"/>'s training split and scores it on the held-out part: best accuracy wins, ties go to the
    /// lower log-loss, then to the earlier ratio. Null when the split leaves fewer than two classes on either side.
    /// </summary>
    public static HybridWeightChoice? Choose(ImageDataset data, FeatureMatrix rows, int handLength, TrainerKind trainer, TrainingOptions options, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        var split = data.CarveValidation(options.Seed, warnings);
        var fit = Sample(RowsOf(data.Train, split.Train, rows), MaxFitRows, options.Seed);
        var validation = RowsOf(data.Train, split.Test, rows);
        if (ClassCount(rows, fit) < 2 || ClassCount(rows, validation) < 2)
        {
            return null;
        }

        var type = new VectorDataViewType(NumberDataViewType.Single, rows.Length);
        var scored = new List<HybridWeightCandidate>();
        foreach (var ratio in Ratios)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new TrainingProgress($"choosing the hybrid block weights on validation (cnn x{ratio.ToString(CultureInfo.InvariantCulture)})", scored.Count, Ratios.Count, 0));
            var ml = new MLContext(options.Seed); // each candidate from the same state: its figures do not depend on the others
            var head = CreateHead(ml, rows, fit, SlotWeights(handLength, rows.Length, ratio), trainer, options.MaxIterations, data.Classes.Count, cancellationToken);
            var model = CancellableFit.Fit(ml, head, rows.AsDataView(ml, type, data.Classes.Count, cancellationToken, fit), cancellationToken);
            var (labels, scores, _) = ModelScoring.Collect(model.Transform(rows.AsDataView(ml, type, data.Classes.Count, cancellationToken, validation)), cancellationToken);
            var metrics = ClassificationMetrics.Compute(data.Classes, labels, scores);
            scored.Add(new HybridWeightCandidate(ratio, metrics.Accuracy, metrics.LogLoss));
        }

        progress?.Report(new TrainingProgress("choosing the hybrid block weights on validation", Ratios.Count, Ratios.Count, 0));
        var best = scored.Aggregate((a, b) => b.Accuracy > a.Accuracy || (b.Accuracy == a.Accuracy && b.LogLoss < a.LogLoss) ? b : a);
        return new HybridWeightChoice(best.CnnToHand, scored, fit.Count, validation.Count);
    }

    /// <summary>The matrix rows of the readable images among <paramref name="part"/> (a part of <paramref name="train"/>), in the part's order.</summary>
    private static List<int> RowsOf(IReadOnlyList<LabeledImage> train, IReadOnlyList<LabeledImage> part, FeatureMatrix rows)
    {
        var rowOfImage = new Dictionary<int, int>(rows.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            rowOfImage[rows.ImageIndex(r)] = r;
        }

        var indexOf = new Dictionary<LabeledImage, int>(train.Count, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < train.Count; i++)
        {
            indexOf[train[i]] = i;
        }

        return [.. part.Select(image => rowOfImage.GetValueOrDefault(indexOf[image], -1)).Where(r => r >= 0)];
    }

    /// <summary>At most <paramref name="count"/> of <paramref name="rows"/>, a seeded random choice kept in row order.</summary>
    private static List<int> Sample(List<int> rows, int count, int seed)
    {
        if (rows.Count <= count)
        {
            return rows;
        }

        var shuffled = rows.ToArray();
        new Random(seed).Shuffle(shuffled);
        var kept = shuffled[..count];
        Array.Sort(kept);
        return [.. kept];
    }

    private static int ClassCount(FeatureMatrix rows, List<int> subset) => subset.Select(rows.LabelOf).Distinct().Count();

    /// <summary>A transformer fitted already (the weighted normaliser) followed by an estimator fitted on its output.</summary>
    private sealed class PrefittedHead(ITransformer first, IEstimator<ITransformer> then) : IEstimator<ITransformer>
    {
        public ITransformer Fit(IDataView input) => first.Append(then.Fit(first.Transform(input)));

        public SchemaShape GetOutputSchema(SchemaShape inputSchema) => then.GetOutputSchema(inputSchema);
    }
}
