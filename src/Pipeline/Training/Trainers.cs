using Microsoft.ML;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Training;

/// <summary>Builds the ML.NET head (normaliser where it matters + multiclass trainer) for a <see cref="TrainerKind"/>.</summary>
public static class Trainers
{
    internal const string LabelColumn = "Label";
    internal const string FeaturesColumn = "Features";

    /// <summary>L-BFGS iteration cap: on full Fashion-MNIST the default tolerance alone ran for over 30 minutes.</summary>
    internal const int DefaultLbfgsIterations = 200;

    /// <summary>
    /// L-BFGS L2 weight per training row. ML.NET's L-BFGS adds the L2 term to the SUM of the row losses, so a fixed
    /// weight regularises a small set far more than a large one; scaling with the row count keeps it constant.
    /// Measured on full Fashion-MNIST, grey28-v1, 200 iterations (weight for 60,000 rows -> test accuracy):
    /// 1 -> 0.8987, 8 -> 0.9015, 40 -> 0.9059, 150 -> 0.9068. Those were test-split figures; re-checked on a validation
    /// split carved from Fashion-MNIST's training set (2026-12-02, grey28-v1, features standardised with centring,
    /// 12,000 judged), weight for 60,000 rows 1 / 8 / 40 / 150 / 450: 48,000 fitted 0.8950 / 0.9052 / 0.9128 / 0.9148 /
    /// 0.9134; 1,000 fitted 0.8468 / 0.8475 / 0.8487 / 0.8496 / 0.8510 (within noise), so 150 stands.
    /// </summary>
    internal const float LbfgsL2PerRow = 150f / 60_000f;

    public static string Name(TrainerKind kind) => kind switch
    {
        TrainerKind.Sdca => "sdca",
        TrainerKind.Lbfgs => "lbfgs",
        TrainerKind.LightGbm => "lightgbm",
        TrainerKind.FastTree => "fasttree",
        TrainerKind.Rff => "rff",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The names <see cref="TryParse"/> knows, for messages.</summary>
    public const string KnownNames = "sdca, lbfgs, lightgbm, fasttree, rff";

    public static TrainerKind Parse(string name) =>
        TryParse(name, out var kind) ? kind : throw new WorkbenchException($"unknown trainer '{name}' (known: {KnownNames})");

    /// <summary>A trainer by name (case and surrounding spaces ignored); false for any other name.</summary>
    public static bool TryParse(string name, out TrainerKind kind)
    {
        ArgumentNullException.ThrowIfNull(name);
        TrainerKind? parsed = name.Trim().ToLowerInvariant() switch
        {
            "sdca" => TrainerKind.Sdca,
            "lbfgs" => TrainerKind.Lbfgs,
            "lightgbm" => TrainerKind.LightGbm,
            "fasttree" => TrainerKind.FastTree,
            "rff" => TrainerKind.Rff,
            _ => null,
        };
        kind = parsed.GetValueOrDefault();
        return parsed.HasValue;
    }

    /// <summary>
    /// The head estimator. Linear trainers get mean-variance normalisation (their optimisers converge badly on raw
    /// HOG / CNN scales); tree trainers need none. Threads are fixed where a trainer's result would otherwise depend
    /// on scheduling, so the same seed gives the same model.
    /// </summary>
    public static IEstimator<ITransformer> CreateHead(MLContext ml, TrainerKind kind, int? maxIterations, long trainRows, int featureLength)
    {
        ArgumentNullException.ThrowIfNull(ml);
        switch (kind)
        {
            case TrainerKind.Rff:
                return RandomFourierHead.Create(ml, LbfgsOptions(maxIterations, trainRows, RandomFourierHead.L2Scale), featureLength);
            case TrainerKind.Sdca:
            case TrainerKind.Lbfgs:
                return ml.Transforms.NormalizeMeanVariance(FeaturesColumn).Append(CreateLinearTrainer(ml, kind, maxIterations, trainRows));
            case TrainerKind.LightGbm:
                return ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
                {
                    LabelColumnName = LabelColumn,
                    FeatureColumnName = FeaturesColumn,
                    NumberOfIterations = maxIterations ?? 200,
                    LearningRate = 0.1,
                    NumberOfLeaves = 31,
                    // LightGBM's 20 rows per leaf, scaled down below 1,000 rows: with 30 rows (a learning-curve point of 5
                    // images per class) no split can keep 20 on each side, every tree is one leaf and the head guesses.
                    MinimumExampleCountPerLeaf = (int)Math.Clamp(trainRows / 50, 2, 20),
                    Seed = 1,
                    Silent = true,
                    // One thread: LightGBM's OpenMP threads spin at every barrier, and on a shared 2-core machine that
                    // turned a head of seconds into minutes (an 800-image hand-crafted fit ran over 5 min at load 40).
                    NumberOfThreads = 1,
                });
            case TrainerKind.FastTree:
                return ml.MulticlassClassification.Trainers.OneVersusAll(
                    ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
                    {
                        LabelColumnName = LabelColumn,
                        FeatureColumnName = FeaturesColumn,
                        NumberOfTrees = maxIterations ?? 100,
                        NumberOfLeaves = 20,
                        NumberOfThreads = 1,
                    }),
                    labelColumnName: LabelColumn);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>True for the trainers whose head is <see cref="CreateLinearTrainer"/> after a mean-variance normaliser (SDCA, L-BFGS).</summary>
    public static bool IsLinear(TrainerKind kind) => kind is TrainerKind.Sdca or TrainerKind.Lbfgs;

    /// <summary>
    /// The multiclass trainer of a linear head (<see cref="IsLinear"/>) without its normaliser, for callers that put
    /// their own scaling in front (the hybrid's block weights).
    /// </summary>
    public static IEstimator<ITransformer> CreateLinearTrainer(MLContext ml, TrainerKind kind, int? maxIterations, long trainRows)
    {
        ArgumentNullException.ThrowIfNull(ml);
        return kind switch
        {
            TrainerKind.Sdca => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = LabelColumn,
                FeatureColumnName = FeaturesColumn,
                NumberOfThreads = 1,
                MaximumNumberOfIterations = maxIterations,
            }),
            TrainerKind.Lbfgs => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(LbfgsOptions(maxIterations, trainRows)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a linear trainer"),
        };
    }

    /// <summary>The L-BFGS head's options: L2 scaled with the row count (and by <paramref name="l2Scale"/>), 200 iterations unless capped.</summary>
    internal static LbfgsMaximumEntropyMulticlassTrainer.Options LbfgsOptions(int? maxIterations, long trainRows, float l2Scale = 1f) => new()
    {
        LabelColumnName = LabelColumn,
        FeatureColumnName = FeaturesColumn,
        L2Regularization = Math.Max(0.1f, LbfgsL2PerRow * trainRows) * l2Scale,
        L1Regularization = 0f,
        OptimizationTolerance = 1e-6f,
        MaximumNumberOfIterations = maxIterations ?? DefaultLbfgsIterations,
    };
}
