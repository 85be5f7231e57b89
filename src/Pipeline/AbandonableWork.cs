namespace ImageWorkbench.Pipeline;

/// <summary>
/// Long work that a cancellation abandons instead of waiting for: an ML.NET fit or a scoring cursor can sit in native
/// code or in ML.NET's batch hand-off for many seconds after Ctrl+C. Shared by training and evaluation.
/// </summary>
internal static class AbandonableWork
{
    /// <summary>
    /// Runs <paramref name="work"/> on a thread of its own (not a pool thread: it takes seconds to minutes, and
    /// native work cannot be interrupted) and waits for it; a cancelled token calls <paramref name="onCancel"/> and
    /// ends the wait at once with <see cref="OperationCanceledException"/>, leaving the work to stop by itself.
    /// </summary>
    public static T Run<T>(Func<T> work, Action? onCancel, CancellationToken cancellationToken)
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
