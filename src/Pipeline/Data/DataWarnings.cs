using System.Globalization;

namespace Pipeline.Data;

/// <summary>One image that was left out, and why.</summary>
public readonly record struct SkippedImage(string File, string Reason)
{
    public override string ToString() => $"{File}: {Reason}";
}

/// <summary>
/// Collects the images a run had to leave out (unreadable, missing, not an image) and other data warnings.
/// Thread-safe: decoding workers may report concurrently. Each line goes once to the optional sink as
/// <c>warning: &lt;file&gt;: &lt;reason&gt;</c>; a file skipped twice is counted and reported once.
/// </summary>
public sealed class DataWarnings
{
    private readonly Action<string>? _sink;
    private readonly object _gate = new();
    private readonly List<SkippedImage> _skipped = [];
    private readonly HashSet<string> _skippedFiles = new(StringComparer.Ordinal);
    private readonly List<string> _messages = [];

    public DataWarnings(Action<string>? sink = null)
    {
        _sink = sink;
    }

    /// <summary>Images skipped so far.</summary>
    public int SkippedCount
    {
        get
        {
            lock (_gate)
            {
                return _skipped.Count;
            }
        }
    }

    /// <summary>A snapshot of the skipped images, in the order they were reported.</summary>
    public IReadOnlyList<SkippedImage> Entries
    {
        get
        {
            lock (_gate)
            {
                return _skipped.ToArray();
            }
        }
    }

    /// <summary>A snapshot of every warning line sent to the sink (skips and notes), in order.</summary>
    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_gate)
            {
                return _messages.ToArray();
            }
        }
    }

    /// <summary>Records that <paramref name="file"/> was left out because of <paramref name="reason"/>.</summary>
    public void Skip(string file, string reason)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(reason);
        string line;
        lock (_gate)
        {
            if (!_skippedFiles.Add(file))
            {
                return;
            }

            _skipped.Add(new SkippedImage(file, OneLine(reason)));
            line = $"warning: {file}: {OneLine(reason)}";
            _messages.Add(line);
        }

        _sink?.Invoke(line);
    }

    /// <summary>A warning that does not drop an image (e.g. a class with a single image), as <c>warning: subject: message</c>.</summary>
    public void Note(string subject, string message)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(message);
        string line = $"warning: {subject}: {OneLine(message)}";
        lock (_gate)
        {
            _messages.Add(line);
        }

        _sink?.Invoke(line);
    }

    /// <summary>
    /// Throws <see cref="DatasetException"/> when more than <paramref name="maxFraction"/> of
    /// <paramref name="total"/> images were skipped.
    /// </summary>
    public void ThrowIfOverThreshold(int total, double maxFraction = 0.01)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        if (double.IsNaN(maxFraction) || maxFraction < 0 || maxFraction > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxFraction), maxFraction, "must be between 0 and 1");
        }

        SkippedImage first;
        int skipped;
        lock (_gate)
        {
            skipped = _skipped.Count;
            if (skipped == 0 || skipped <= maxFraction * total)
            {
                return;
            }

            first = _skipped[0];
        }

        string percent = total == 0 ? "100" : (100.0 * skipped / total).ToString("0.#", CultureInfo.InvariantCulture);
        string allowed = (100.0 * maxFraction).ToString("0.##", CultureInfo.InvariantCulture);
        throw new DatasetException(
            $"{skipped} of {total} images could not be read ({percent}%), more than the {allowed}% allowed; first: {first.File}: {first.Reason}");
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
