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
    /// <summary>
    /// Images predicted together before their results are handed out: enough to keep every core busy, few enough that
    /// memory does not depend on how many images a batch has (a million paths never hold a million results).
    /// </summary>
    public const int BatchChunkSize = 256;

    /// <summary>
    /// Predicts image files on every core, yielding one <see cref="BatchResult"/> per path in input order as chunks
    /// finish. The paths are read lazily and memory stays bounded at any count. An unreadable image is a result with
    /// <see cref="BatchResult.Error"/>, never an exception that loses the others. <paramref name="progress"/> hears
    /// after each chunk. Cancelling throws <see cref="OperationCanceledException"/> between or inside chunks.
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

    /// <summary>The ordered-chunks engine: read a chunk of items, predict it on every core, hand the results out in order, repeat.</summary>
    private IEnumerable<BatchResult> Batch<T>(IEnumerable<T> items, Func<T, string> nameOf, Func<T, Prediction> predict, IProgress<BatchProgress>? progress, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Run();

        IEnumerable<BatchResult> Run()
        {
            var chunk = new T[BatchChunkSize];
            var results = new BatchResult[BatchChunkSize];
            var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
            long done = 0;
            long failed = 0;
            using var source = items.GetEnumerator();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = 0;
                while (count < chunk.Length && source.MoveNext())
                {
                    chunk[count++] = source.Current;
                }

                if (count == 0)
                {
                    yield break;
                }

                var first = done;
                Parallel.For(0, count, options, i => results[i] = PredictOne(chunk[i], first + i, nameOf, predict));
                for (var i = 0; i < count; i++)
                {
                    var result = results[i];
                    results[i] = null!;
                    chunk[i] = default!;
                    failed += result.Succeeded ? 0 : 1;
                    yield return result;
                }

                done += count;
                progress?.Report(new BatchProgress(done, failed));
            }
        }
    }

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
