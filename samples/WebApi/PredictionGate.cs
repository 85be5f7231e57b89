namespace Samples.WebApi;

/// <summary>
/// Bounds the requests that hold an image in memory or run the model: at most <c>maxActive</c> at once, at most
/// <c>maxQueued</c> waiting; anything beyond is turned away at once (503) instead of piling up memory.
/// </summary>
public sealed class PredictionGate(int maxActive, int maxQueued) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(maxActive, maxActive);
    private int _admitted; // active + waiting

    /// <summary>Waits for a slot; false (at once) when the queue is full. Call <see cref="Exit"/> after a true.</summary>
    public async Task<bool> TryEnterAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _admitted) > maxActive + maxQueued)
        {
            Interlocked.Decrement(ref _admitted);
            return false;
        }

        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch
        {
            Interlocked.Decrement(ref _admitted);
            throw;
        }
    }

    public void Exit()
    {
        _slots.Release();
        Interlocked.Decrement(ref _admitted);
    }

    public void Dispose() => _slots.Dispose();
}
