using System.Collections.Concurrent;
using ImageWorkbench.Runtime.Decoding;

namespace ImageWorkbench.Runtime.Models;

/// <summary>One image's outcome in a batch: its prediction, or why it could not be predicted (never both).</summary>
/// <param name="Index">The image's position in the input, from 0.</param>
/// <param name="Name">The image's path or name, as given.</param>
/// <param name="Prediction">The prediction; null when <paramref name="Error"/> says why there is none.</param>
/// <param name="Error">The reason the image could not be read or decoded (without its name); null on success.</param>
public sealed record BatchResult(long Index, string Name, Prediction? Prediction, string? Error)
{
    public bool Succeeded => Prediction is not null;
}

/// <summary>How far a batch has come: images done (predicted or failed) and how many of those failed.</summary>
public readonly record struct BatchProgress(long Done, long Failed);

public sealed partial class ImageClassifier
{
    /// <summary>Progress is reported every this many images (and at the end).</summary>
    public const int BatchChunkSize = 256;

    /// <summary>
    /// How far the workers may run ahead of the caller: enough to keep every core busy while the caller writes, few
    /// enough that memory does not depend on how many images a batch has (a million paths never hold a million results).
    /// </summary>
    public const int BatchWindow = 1024;

    /// <summary>
    /// A caller that ran out of results sleeps until this many are ready in a row (or <see cref="BatchWakeAfter"/> has
    /// passed with the next one ready, or the batch ends), then takes them without locking again for each.
    /// </summary>
    private const int BatchWakeRun = 32;

    /// <summary>The longest a ready result waits for the run behind it: a slowly fed batch still streams.</summary>
    private static readonly TimeSpan BatchWakeAfter = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// Predicts image files on every core, yielding one <see cref="BatchResult"/> per path in input order as they
    /// finish. The paths are read lazily and memory stays bounded at any count. An unreadable image is a result with
    /// <see cref="BatchResult.Error"/>, never an exception that loses the others. <paramref name="progress"/> hears
    /// every <see cref="BatchChunkSize"/> images and at the end. Cancelling throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public IEnumerable<BatchResult> PredictMany(IEnumerable<string> imagePaths, IProgress<BatchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        return Batch(imagePaths, path => path, path => Predict(string.IsNullOrEmpty(path) ? throw new ImageDecodeException("an empty path names no image") : path), progress, cancellationToken);
    }

    /// <summary>Like <see cref="PredictMany(IEnumerable{string}, IProgress{BatchProgress}, CancellationToken)"/> for any image sources (files, encoded bytes, raw pixels).</summary>
    public IEnumerable<BatchResult> PredictMany(IEnumerable<ImageSource> images, IProgress<BatchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        return Batch(images, image => image.Name, Predict, progress, cancellationToken);
    }

    /// <summary>Like <see cref="PredictMany(IEnumerable{string}, IProgress{BatchProgress}, CancellationToken)"/> for encoded images (PNG, JPEG, ...) in memory, each with a name.</summary>
    public IEnumerable<BatchResult> PredictMany(IEnumerable<KeyValuePair<string, ReadOnlyMemory<byte>>> encodedImages, IProgress<BatchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encodedImages);
        return Batch(encodedImages, image => image.Key, image => Predict(image.Value, image.Key), progress, cancellationToken);
    }

    /// <summary>
    /// Like <see cref="PredictMany(IEnumerable{string}, IProgress{BatchProgress}, CancellationToken)"/> for streams of
    /// encoded images, each with a name. Each stream is read (bounded as in <see cref="Predict(Stream, string)"/>) and
    /// disposed once read, so a lazy sequence may open them as it goes; a stream that fails to read is an error result.
    /// </summary>
    public IEnumerable<BatchResult> PredictMany(IEnumerable<KeyValuePair<string, Stream>> streams, IProgress<BatchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(streams);
        return Batch(
            streams,
            item => item.Key,
            item =>
            {
                using var stream = item.Value;
                return Predict(stream, item.Key);
            },
            progress,
            cancellationToken);
    }

    /// <summary>The error text of a failed image, without its name (the result carries the name).</summary>
    private static string Reason(string name, Exception ex)
    {
        var message = ex.Message;
        var prefix = name + ": ";
        return message.StartsWith(prefix, StringComparison.Ordinal) ? message[prefix.Length..] : message;
    }

    /// <summary>
    /// The engine: workers (one per core) take items one at a time from the lazily read input and predict them; the
    /// caller receives the results strictly in input order. Workers may run at most <see cref="BatchWindow"/> items
    /// ahead of the caller, so memory is bounded whatever the count, and no worker waits at a chunk boundary for the
    /// slowest image of a chunk (an earlier version predicted ordered chunks and lost half its rate on a loaded machine).
    /// </summary>
    private IEnumerable<BatchResult> Batch<T>(IEnumerable<T> items, Func<T, string> nameOf, Func<T, Prediction> predict, IProgress<BatchProgress>? progress, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Run();

        IEnumerable<BatchResult> Run()
        {
            var window = new BatchResult?[BatchWindow];
            var gate = new object();
            using var room = new SemaphoreSlim(BatchWindow);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var finished = false;
            long awaited = -1; // the index the caller sleeps waiting for, -1 when it is not asleep
            IEnumerable<(T Item, long Index)> Numbered()
            {
                long index = 0;
                foreach (var item in items)
                {
                    room.Wait(stop.Token); // the caller has not yet taken the result BatchWindow places back
                    yield return (item, index++);
                }
            }

            var workers = Task.Run(() =>
            {
                try
                {
                    Parallel.ForEach(
                        Partitioner.Create(Numbered(), EnumerablePartitionerOptions.NoBuffering),
                        new ParallelOptions { CancellationToken = stop.Token, MaxDegreeOfParallelism = Environment.ProcessorCount },
                        numbered =>
                        {
                            var result = PredictOne(numbered.Item, numbered.Index, nameOf, predict);
                            lock (gate)
                            {
                                window[numbered.Index % BatchWindow] = result;
                                if (awaited >= 0 && RunReady(window, awaited))
                                {
                                    // The caller is woken for a run of results, not for each: waking it for every
                                    // result cost a context switch per image on two cores (a quarter of the rate).
                                    Monitor.Pulse(gate);
                                }
                            }
                        });
                }
                finally
                {
                    lock (gate)
                    {
                        finished = true;
                        Monitor.PulseAll(gate);
                    }
                }
            });

            try
            {
                long next = 0;
                long failed = 0;
                while (true)
                {
                    BatchResult? result;
                    lock (gate)
                    {
                        if (window[next % BatchWindow] is null)
                        {
                            var waited = false;
                            while (!finished && !RunReady(window, next) && !(waited && window[next % BatchWindow] is not null))
                            {
                                awaited = next;
                                waited = !Monitor.Wait(gate, BatchWakeAfter) || waited;
                                awaited = -1;
                            }
                        }

                        result = window[next % BatchWindow];
                        window[next % BatchWindow] = null;
                    }

                    if (result is null)
                    {
                        // The workers ended without this result: the input ran out, or they failed (rethrown here).
                        workers.GetAwaiter().GetResult();
                        lock (gate)
                        {
                            result = window[next % BatchWindow];
                            window[next % BatchWindow] = null;
                        }

                        if (result is null)
                        {
                            if (next % BatchChunkSize != 0 || next == 0)
                            {
                                progress?.Report(new BatchProgress(next, failed));
                            }

                            yield break;
                        }
                    }

                    room.Release();
                    failed += result.Succeeded ? 0 : 1;
                    next++;
                    if (next % BatchChunkSize == 0)
                    {
                        progress?.Report(new BatchProgress(next, failed));
                    }

                    yield return result;
                }
            }
            finally
            {
                // The caller stopped early, or all is done: end the workers and wait for them before the buffers go.
                stop.Cancel();
                try
                {
                    workers.Wait(CancellationToken.None);
                }
                catch (AggregateException)
                {
                    // Cancelled by us, or a failure the loop above already threw (a caller that stopped early wants no more).
                }
            }
        }
    }

    /// <summary>True when the result at <paramref name="next"/> and the one <see cref="BatchWakeRun"/> - 1 places after it are in (those between usually are).</summary>
    private static bool RunReady(BatchResult?[] window, long next) =>
        window[next % BatchWindow] is not null && window[(next + BatchWakeRun - 1) % BatchWindow] is not null;

    private static BatchResult PredictOne<T>(T item, long index, Func<T, string> nameOf, Func<T, Prediction> predict)
    {
        var name = nameOf(item) ?? string.Empty;
        try
        {
            return new BatchResult(index, name, predict(item), null);
        }
        catch (Exception ex) when (ex is ImageDecodeException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return new BatchResult(index, name, null, Reason(name, ex));
        }
    }
}
