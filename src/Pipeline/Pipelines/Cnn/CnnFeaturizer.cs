using System.Diagnostics;
using System.Runtime.ExceptionServices;
using ImageWorkbench.Runtime.Cnn;

namespace ImageWorkbench.Pipeline.Pipelines.Cnn;

/// <summary>Progress of <c>CnnFeaturizer.FeaturizeAll</c>.</summary>
/// <param name="Done">Images finished (computed or from the cache).</param>
/// <param name="Total">Images in the call.</param>
/// <param name="CacheHits">Images answered by the feature cache so far.</param>
/// <param name="ImagesPerSecond">Average speed since the start, cache hits included.</param>
/// <param name="Remaining">Estimated time left at that speed.</param>
public readonly record struct FeaturizeProgress(int Done, int Total, int CacheHits, double ImagesPerSecond, TimeSpan Remaining);

/// <summary>Featurizes a whole list of images with a frozen network (<see cref="ICnnFeatureEngine"/>), in parallel, through a <see cref="FeatureCache"/>.</summary>
public static class CnnFeaturizer
{
    private static readonly TimeSpan ReportEvery = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Features of every item, row-major: item i's feature vector at <c>[i * length, (i + 1) * length)</c>.
    /// Each item is looked up in <paramref name="cache"/> by <paramref name="contentHash"/>(item), the SHA-256 of its
    /// content (<see cref="FeatureCache.HashContent"/> of the encoded file bytes or raw pixels; null when unreadable,
    /// then neither looked up nor stored; only called when there is a cache) and <see cref="ICnnFeatureEngine.Id"/>; on a miss
    /// it is decoded by <paramref name="decode"/> into a planar RGB 0..1 buffer of
    /// <see cref="ICnnFeatureEngine.InputLength"/> floats (already resized to the input size), featurized and stored.
    /// </summary>
    /// <remarks>
    /// Work is spread over <c>max(cores, engine sessions + 1)</c> workers so decoding overlaps inference; only one
    /// decoded image per worker is alive at a time. Cancellation is checked between images and throws
    /// <see cref="OperationCanceledException"/>; every cache entry written until then is complete (see
    /// <see cref="FeatureCache"/>), so a rerun continues where this one stopped. An exception from a delegate
    /// stops the run and is rethrown as is.
    /// </remarks>
    public static float[] FeaturizeAll<T>(
        ICnnFeatureEngine engine,
        IReadOnlyList<T> items,
        Func<T, byte[]?> contentHash,
        Action<T, Span<float>> decode,
        FeatureCache? cache,
        IProgress<FeaturizeProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decode);
        return FeaturizeAll(engine, items, contentHash, (item, image) =>
        {
            decode(item, image);
            return true;
        }, cache, progress, cancellationToken);
    }

    /// <summary>
    /// As above, but <paramref name="tryDecode"/> may refuse an item (an unreadable image): its feature row is then
    /// filled with NaN and nothing is cached for it, so the caller can skip it and a fixed file is read again.
    /// </summary>
    public static float[] FeaturizeAll<T>(
        ICnnFeatureEngine engine,
        IReadOnlyList<T> items,
        Func<T, byte[]?> contentHash,
        Func<T, Span<float>, bool> tryDecode,
        FeatureCache? cache,
        IProgress<FeaturizeProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(contentHash);
        ArgumentNullException.ThrowIfNull(tryDecode);

        int total = items.Count;
        int dim = engine.FeatureLength;
        var features = new float[checked(total * dim)];
        string id = engine.Id;
        int done = 0;
        int hits = 0;
        long lastReportTicks = 0;
        var stopwatch = Stopwatch.StartNew();
        var reportGate = new object();

        void Report(bool force)
        {
            if (progress is null)
            {
                return;
            }

            long now = stopwatch.Elapsed.Ticks;
            if (!force && now - Interlocked.Read(ref lastReportTicks) < ReportEvery.Ticks)
            {
                return;
            }

            lock (reportGate)
            {
                if (!force && now - lastReportTicks < ReportEvery.Ticks)
                {
                    return;
                }

                lastReportTicks = now;
                int d = Volatile.Read(ref done);
                double seconds = Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9);
                double rate = d / seconds;
                var remaining = rate > 0 ? TimeSpan.FromSeconds((total - d) / rate) : TimeSpan.Zero;
                progress.Report(new FeaturizeProgress(d, total, Volatile.Read(ref hits), rate, remaining));
            }
        }

        var options = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = Math.Max(Environment.ProcessorCount, engine.Sessions + 1),
        };
        try
        {
            Parallel.For(
                0,
                total,
                options,
                () => new float[engine.InputLength],
                (i, _, image) =>
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var item = items[i];
                    var target = features.AsSpan(i * dim, dim);
                    // No hash means the content could not be read: no lookup, no entry (all such items would share it).
                    byte[]? hash = cache is null ? null : contentHash(item);
                    if (cache is not null && hash is not null)
                    {
                        if (cache.TryGet(hash, id, target))
                        {
                            Interlocked.Increment(ref hits);
                            Interlocked.Increment(ref done);
                            Report(force: false);
                            return image;
                        }
                    }

                    image.AsSpan().Clear();
                    if (!tryDecode(item, image))
                    {
                        target.Fill(float.NaN);
                        Interlocked.Increment(ref done);
                        Report(force: false);
                        return image;
                    }

                    engine.Featurize(image, 1, target);
                    if (cache is not null && hash is not null)
                    {
                        cache.Put(hash, id, target);
                    }

                    Interlocked.Increment(ref done);
                    Report(force: false);
                    return image;
                },
                _ => { });
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count >= 1)
        {
            var inner = ex.Flatten().InnerExceptions;
            var first = inner.FirstOrDefault(e => e is not OperationCanceledException) ?? inner[0];
            ExceptionDispatchInfo.Capture(first).Throw();
            throw;
        }

        Report(force: true);
        return features;
    }
}
