using Microsoft.ML;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms;

namespace ImageWorkbench.Pipeline.Training;

/// <summary>
/// The <c>rff</c> head: an approximate RBF-kernel classifier that stays a linear model at prediction time.
/// Features are standardised; a copy is projected onto its <see cref="PrincipalComponents"/> leading principal
/// components (standardised again) and mapped to <see cref="Rank"/> random Fourier features of a Gaussian kernel
/// (ML.NET's <c>ApproximatedKernelMap</c>) with <c>gamma = GammaScale / dimensions</c>, so the kernel's width
/// follows the number of inputs; those are standardised and put beside the standardised features, and L-BFGS
/// maximum entropy learns on both. The linear part keeps what a linear head already gets; the kernel part adds
/// the non-linear interactions. Projecting first keeps the map cheap: the map costs <c>Rank x inputs</c>
/// multiply-adds per image, 2,000 x 1,826 without it.
/// </summary>
public static class RandomFourierHead
{
    /// <summary>Random Fourier features.</summary>
    public const int Rank = 2000;

    /// <summary>Inputs of the kernel map: the leading principal components of the standardised features.</summary>
    public const int PrincipalComponents = 256;

    /// <summary>Gaussian kernel gamma times the kernel map's input count.</summary>
    public const float GammaScale = 1f;

    private const string KernelColumn = "RffKernel";

    /// <summary>The head estimator for rows with <paramref name="featureLength"/> features.</summary>
    public static IEstimator<ITransformer> Create(MLContext ml, LbfgsMaximumEntropyMulticlassTrainer.Options lbfgs, int featureLength)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(lbfgs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureLength);
        string features = Trainers.FeaturesColumn;
        int components = Math.Min(PrincipalComponents, featureLength);
        IEstimator<ITransformer> head = ml.Transforms.NormalizeMeanVariance(features, fixZero: false)
            .Append(ml.Transforms.CopyColumns(KernelColumn, features));
        if (components < featureLength)
        {
            head = head.Append(ml.Transforms.ProjectToPrincipalComponents(KernelColumn, rank: components, seed: 1))
                .Append(ml.Transforms.NormalizeMeanVariance(KernelColumn, fixZero: false));
        }

        return head
            .Append(ml.Transforms.ApproximatedKernelMap(KernelColumn, rank: Rank, useCosAndSinBases: false, generator: new GaussianKernel(GammaScale / components), seed: 1))
            .Append(ml.Transforms.NormalizeMeanVariance(KernelColumn, fixZero: false))
            .Append(ml.Transforms.Concatenate(features, features, KernelColumn))
            .AppendCacheCheckpoint(ml) // the trainer's passes read the mapped rows from memory, not through the map again
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(lbfgs));
    }
}
