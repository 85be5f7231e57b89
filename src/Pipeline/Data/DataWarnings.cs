using System.Globalization;
using System.Text;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>One image that was left out, and why.</summary>
public readonly record struct SkippedImage(string File, string Reason)
{
    public override string ToString() => $"{File}: {Reason}";
}

/// <summary>
/// Collects the images a run had to leave out (unreadable, missing, not an image) and other data warnings.
/// Thread-safe: decoding workers may report concurrently. Each line goes once to the optional sink as
/// <c>warning: &lt;file&gt;: &lt;reason&gt;</c>, with control and invisible characters escaped (see
/// <see cref="TerminalText"/>); a file skipped twice is counted and reported once.
/// <para>
/// With <c>examplesPerKind</c>, warnings of one kind (the same reason, or the kind a caller names) print their first
/// examples only and are counted after that: 10,000 one-image classes give a few lines and one
/// <c>warning: ... and 9,995 more like this</c> line at <see cref="Flush"/>, not 10,000 lines. Counts and
/// <see cref="Entries"/> still hold every skipped image.
/// </para>
/// </summary>
public sealed class DataWarnings
{
    private readonly Action<string>? _sink;
    private readonly int _examplesPerKind;
    private readonly object _gate = new();
    private readonly List<SkippedImage> _skipped = [];
    private readonly HashSet<string> _skippedFiles = new(StringComparer.Ordinal);
    private readonly List<string> _messages = [];

    /// <summary>Per kind of warning: lines printed, and lines held back since the last <see cref="Flush"/> (in first-seen order).</summary>
    private readonly Dictionary<string, KindCount> _kinds = new(StringComparer.Ordinal);
    private readonly List<string> _kindOrder = [];

    /// <param name="sink">Receives each printed line.</param>
    /// <param name="examplesPerKind">Lines printed per kind of warning before the rest are only counted; unlimited by default.</param>
    public DataWarnings(Action<string>? sink = null, int examplesPerKind = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(examplesPerKind, 1);
        _sink = sink;
        _examplesPerKind = examplesPerKind;
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

    /// <summary>A snapshot of every warning line sent to the sink (skips, notes and "more like this" lines), in order.</summary>
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
    /// <param name="file">The file left out.</param>
    /// <param name="reason">Why, in words.</param>
    /// <param name="kind">What groups this warning with others when lines are limited; the reason by default.</param>
    public void Skip(string file, string reason, string? kind = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(reason);
        string? line;
        lock (_gate)
        {
            if (!_skippedFiles.Add(file))
            {
                return;
            }

            _skipped.Add(new SkippedImage(file, OneLine(reason)));
            line = Admit(kind ?? reason, $"warning: {TerminalText.Escape(file)}: {TerminalText.Escape(reason)}");
        }

        Send(line);
    }

    /// <summary>A warning that does not drop an image (e.g. a class with a single image), as <c>warning: subject: message</c>.</summary>
    /// <param name="subject">What the warning is about (a folder, a class, a manifest line).</param>
    /// <param name="message">What is wrong with it.</param>
    /// <param name="kind">What groups this warning with others when lines are limited; the message by default.</param>
    public void Note(string subject, string message, string? kind = null)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(message);
        string? line;
        lock (_gate)
        {
            line = Admit(kind ?? message, $"warning: {TerminalText.Escape(subject)}: {TerminalText.Escape(message)}");
        }

        Send(line);
    }

    /// <summary>
    /// Prints one <c>warning: ... and K more like this: &lt;kind&gt;</c> line per kind that held lines back since the
    /// last flush. Callers flush at the end of a phase (loading) and of a run.
    /// </summary>
    public void Flush()
    {
        var lines = new List<string>();
        lock (_gate)
        {
            foreach (string kind in _kindOrder)
            {
                KindCount count = _kinds[kind];
                if (count.HeldBack > 0)
                {
                    string line = $"warning: ... and {count.HeldBack.ToString("N0", CultureInfo.InvariantCulture)} more like this: {TerminalText.Escape(kind)}";
                    _messages.Add(line);
                    lines.Add(line);
                    count.HeldBack = 0;
                }
            }
        }

        foreach (string line in lines)
        {
            _sink?.Invoke(line);
        }
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

    /// <summary>The line to print, or null when its kind has printed its examples already (then it is counted). Caller holds the lock.</summary>
    private string? Admit(string kind, string line)
    {
        string key = OneLine(kind);
        if (!_kinds.TryGetValue(key, out KindCount? count))
        {
            _kinds[key] = count = new KindCount();
            _kindOrder.Add(key);
        }

        if (count.Printed >= _examplesPerKind)
        {
            count.HeldBack++;
            return null;
        }

        count.Printed++;
        _messages.Add(line);
        return line;
    }

    private void Send(string? line)
    {
        if (line is not null)
        {
            _sink?.Invoke(line);
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private sealed class KindCount
    {
        public int Printed { get; set; }

        public int HeldBack { get; set; }
    }
}

/// <summary>
/// Makes text safe to print on one terminal line: a file name may hold a newline (which would forge an <c>error:</c>
/// line), an escape sequence (which would recolour or clear the screen) or a bidi override (which would show
/// <c>gnp.exe</c> as <c>exe.png</c>). Control characters, line and paragraph separators, Unicode format characters
/// (bidi controls, zero-width characters, the byte-order mark) and lone surrogates are shown as escapes:
/// <c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\x1b</c>, <c>\u202e</c>, <c>\U000e0001</c>. Everything else, accented and CJK
/// letters included, is printed as it is.
/// </summary>
public static class TerminalText
{
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int first = FirstUnsafe(text);
        if (first < 0)
        {
            return text; // the common case: no copy
        }

        var result = new StringBuilder(text.Length + 16);
        result.Append(text, 0, first);
        for (int i = first; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out Rune rune, out int used) != System.Buffers.OperationStatus.Done)
            {
                result.Append(CultureInfo.InvariantCulture, $"\\u{(int)text[i]:x4}"); // a lone surrogate
                i++;
                continue;
            }

            if (!IsUnsafe(rune))
            {
                result.Append(text, i, used);
            }
            else
            {
                switch (rune.Value)
                {
                    case '\n': result.Append("\\n"); break;
                    case '\r': result.Append("\\r"); break;
                    case '\t': result.Append("\\t"); break;
                    case < 0x100: result.Append(CultureInfo.InvariantCulture, $"\\x{rune.Value:x2}"); break;
                    case < 0x10000: result.Append(CultureInfo.InvariantCulture, $"\\u{rune.Value:x4}"); break;
                    default: result.Append(CultureInfo.InvariantCulture, $"\\U{rune.Value:x8}"); break;
                }
            }

            i += used;
        }

        return result.ToString();
    }

    private static int FirstUnsafe(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c < 0x20 || (c >= 0x7f && (char.IsSurrogate(c) || IsUnsafe(new Rune(c)))))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsUnsafe(Rune rune) => Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate;
}
