using System.Diagnostics;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Training;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary>
/// Shows progress on stderr: a redrawn bar with items/s and time left on a terminal; on a pipe or log file, a plain
/// line when a stage starts, then at most every 10 seconds, then when it ends. A stage that reports nothing for a
/// while (a trainer inside ML.NET, a long scan) still shows it is alive: a heartbeat adds the time elapsed, redrawn
/// every second on a terminal and written as a line every 10 seconds to a log. Warning lines go through
/// <see cref="WriteLine"/>, so they never land in the middle of a bar. Every line is escaped by
/// <see cref="TerminalText"/>.
/// </summary>
internal sealed class ConsoleProgress : IProgress<TrainingProgress>
{
    private const int BarWidth = 28;

    /// <summary>One lock for everything written to stderr while a bar may be on screen.</summary>
    private static readonly object Gate = new();

    /// <summary>The progress whose bar is on the terminal now (without its newline yet), if any.</summary>
    private static ConsoleProgress? s_drawn;

    private readonly bool _interactive;
    private readonly TimeSpan _quietFor;
    private readonly TimeSpan _logInterval;
    private readonly TimeSpan _heartbeatPeriod;
    private readonly Stopwatch _sinceLine = Stopwatch.StartNew();
    private readonly Stopwatch _stageClock = new();
    private Timer? _heartbeat;
    private TrainingProgress? _last;
    private string? _stage;
    private string _drawnText = string.Empty;
    private bool _shown;

    /// <param name="quietFor">Show a stage only once it has run this long (for phases that are usually instant).</param>
    /// <param name="logInterval">Least time between two lines in a log; 10 seconds by default.</param>
    /// <param name="heartbeat">How often a silent stage is checked on; every second by default.</param>
    /// <param name="interactive">Redraw a bar (a terminal) or write lines (a log); by default, whether stderr is a terminal.</param>
    public ConsoleProgress(TimeSpan quietFor = default, TimeSpan? logInterval = null, TimeSpan? heartbeat = null, bool? interactive = null)
    {
        _quietFor = quietFor;
        _logInterval = logInterval ?? TimeSpan.FromSeconds(10);
        _heartbeatPeriod = heartbeat ?? TimeSpan.FromSeconds(1);
        _interactive = interactive ?? !Console.IsErrorRedirected;
        RunEnd.Register(EndLine); // a failing command must not leave a heartbeat printing after its error line
    }

    /// <summary>Writes one line to stderr above the bar (the bar is redrawn below it).</summary>
    public static void WriteLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        lock (Gate)
        {
            if (s_drawn is { } bar)
            {
                Console.Error.Write("\r\u001b[K");
                Console.Error.WriteLine(TerminalText.Escape(line));
                Console.Error.Write(bar._drawnText + "\u001b[K");
            }
            else
            {
                Console.Error.WriteLine(TerminalText.Escape(line));
            }
        }
    }

    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (Gate)
        {
            var newStage = value.Stage != _stage;
            if (newStage)
            {
                EndLineLocked();
                _stage = value.Stage;
                _stageClock.Restart();
                _shown = false;
            }

            _last = value;
            var finished = value.Total > 0 && value.Done >= value.Total;
            if (!_shown && _stageClock.Elapsed < _quietFor)
            {
                if (finished)
                {
                    EndLineLocked(); // over before it was worth showing
                }
                else
                {
                    StartHeartbeat();
                }

                return;
            }

            var text = Format(value, elapsed: null);
            if (_interactive)
            {
                Draw(text);
            }
            else if (newStage || !_shown || _sinceLine.Elapsed > _logInterval || finished)
            {
                Console.Error.WriteLine(text);
                _sinceLine.Restart();
            }

            _shown = true;
            if (finished)
            {
                EndLineLocked();
            }
            else
            {
                StartHeartbeat();
            }
        }
    }

    public void EndLine()
    {
        lock (Gate)
        {
            EndLineLocked();
        }
    }

    private void EndLineLocked()
    {
        _heartbeat?.Dispose();
        _heartbeat = null;
        _stage = null;
        if (s_drawn == this)
        {
            Console.Error.WriteLine();
            s_drawn = null;
        }
    }

    private void StartHeartbeat() => _heartbeat ??= new Timer(_ => Beat(), null, _heartbeatPeriod, _heartbeatPeriod);

    private void Beat()
    {
        lock (Gate)
        {
            if (_stage is null || _last is null)
            {
                return;
            }

            var elapsed = _stageClock.Elapsed;
            if (!_shown && elapsed < _quietFor)
            {
                return;
            }

            var text = Format(_last, elapsed);
            if (_interactive)
            {
                Draw(text);
            }
            else if (!_shown || _sinceLine.Elapsed > _logInterval)
            {
                Console.Error.WriteLine(text);
                _sinceLine.Restart();
            }

            _shown = true;
        }
    }

    private void Draw(string text)
    {
        if (s_drawn is not null && s_drawn != this)
        {
            s_drawn.EndLineLocked();
        }

        Console.Error.Write($"\r{text}\u001b[K");
        _drawnText = text;
        s_drawn = this;
    }

    private static string Format(TrainingProgress p, TimeSpan? elapsed)
    {
        var since = elapsed is { } e ? $" ({Clock(e)} elapsed)" : string.Empty;
        string text;
        if (p.Total <= 1)
        {
            text = p.Done >= p.Total && p.Total > 0 ? $"{p.Stage}: done" : $"{p.Stage}...{since}";
        }
        else
        {
            var filled = (int)Math.Round(Math.Clamp(p.Fraction, 0, 1) * BarWidth);
            var bar = new string('#', filled) + new string('.', BarWidth - filled);
            var rate = p.ItemsPerSecond > 0 ? $" {p.ItemsPerSecond:N0} img/s" : string.Empty;
            var left = p.Remaining is { } r ? $" {Clock(r)} left" : string.Empty;
            text = $"{p.Stage} [{bar}] {p.Fraction,4:P0} {p.Done:N0}/{p.Total:N0}{rate}{left}{since}";
        }

        return TerminalText.Escape(text);
    }

    private static string Clock(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : $"{t:mm\\:ss}";
}
