using System.Reflection;
using Microsoft.ML;

namespace ImageWorkbench.Pipeline.Training;

/// <summary>
/// Fits an ML.NET estimator so that a cancelled token ends the wait at once, whatever the trainer does.
/// </summary>
/// <remarks>
/// ML.NET trainers do not take a <see cref="CancellationToken"/>. Some check <c>MLContext.CancelExecution()</c>
/// (SDCA, L-BFGS and FastTree call <c>CheckAlive</c> in their loops); LightGBM's boosting rounds run in native code
/// and check nothing. So the fit runs on its own thread: on cancellation the context is cancelled (the cooperative
/// trainers then stop within a row or an iteration, and <see cref="FeatureMatrix"/> rows stop every trainer that is
/// still reading data) and the caller gets <see cref="OperationCanceledException"/> without waiting. A trainer
/// that does not notice goes on in the background until it ends by itself; its result is dropped and nothing it
/// computes is ever written, and the CLI process exits without waiting for it.
/// </remarks>
internal static class CancellableFit
{
    /// <summary>
    /// <c>MLContext.CancelExecution</c>: internal in ML.NET 5 (public only through the Microsoft.ML.Experimental
    /// package, which this repository does not take). Null if a later ML.NET drops it; a test checks it is found.
    /// </summary>
    internal static readonly MethodInfo? CancelExecution =
        typeof(MLContext).GetMethod("CancelExecution", BindingFlags.Instance | BindingFlags.NonPublic, Type.EmptyTypes);

    public static ITransformer Fit(MLContext ml, IEstimator<ITransformer> estimator, IDataView data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(estimator);
        return AbandonableWork.Run(() => estimator.Fit(data), () => CancelExecution?.Invoke(ml, null), cancellationToken);
    }
}
