using System.Reflection;
using Microsoft.ML;

namespace Pipeline.Training;

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
        return Abandonable(() => estimator.Fit(data), () => CancelExecution?.Invoke(ml, null), cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a thread of its own (not a pool thread: it takes seconds to minutes, and
    /// native work cannot be interrupted) and waits for it; a cancelled token calls <paramref name="onCancel"/> and
    /// ends the wait at once with <see cref="OperationCanceledException"/>, leaving the work to stop by itself.
    /// </summary>
    internal static T Abandonable<T>(Func<T> work, Action? onCancel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        if (!cancellationToken.CanBeCanceled)
        {
            return work();
        }

        var running = Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        using (cancellationToken.Register(() => onCancel?.Invoke()))
        {
            try
            {
                running.Wait(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The abandoned work ends with the cancellation (or later, by itself): observe its exception so that
                // it is not reported as unobserved.
                _ = running.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                throw;
            }
            catch (AggregateException)
            {
                // the work failed: rethrown unwrapped below
            }
        }

        return running.GetAwaiter().GetResult();
    }
}
