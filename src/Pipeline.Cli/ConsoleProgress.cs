using System.Diagnostics;
using Pipeline.Training;

namespace Pipeline.Cli;

/// <summary>
/// Shows progress on stderr: a redrawn bar with items/s and time left on a terminal; on a pipe or log file, a plain
/// line when a stage starts, then at most every 10 seconds, then when it ends.
/// </summary>
internal sealed class ConsoleProgress : IProgress<TrainingProgress>
{
    private const int BarWidth = 28;
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private readonly Stopwatch _sinceLine = Stopwatch.StartNew();
    private readonly object _gate = new();
    private string? _stage;
    private bool _barDrawn;

    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            var newStage = value.Stage != _stage;
            if (newStage)
            {
                EndLine();
                _stage = value.Stage;
            }

            var text = Format(value);
            if (_interactive)
            {
                Console.Error.Write($"\r{text}\u001b[K");
                _barDrawn = true;
                if (value.Total > 0 && value.Done >= value.Total)
                {
                    EndLine();
                }
            }
            else if (newStage || _sinceLine.Elapsed > TimeSpan.FromSeconds(10) || (value.Total > 0 && value.Done >= value.Total))
            {
                Console.Error.WriteLine(text);
                _sinceLine.Restart();
            }
        }
    }

    public void EndLine()
    {
        lock (_gate)
        {
            if (_barDrawn)
            {
                Console.Error.WriteLine();
                _barDrawn = false;
            }
        }
    }

    private static string Format(TrainingProgress p)
    {
        if (p.Total <= 1)
        {
            return p.Done >= p.Total && p.Total > 0 ? $"{p.Stage}: done" : $"{p.Stage}...";
        }

        var filled = (int)Math.Round(Math.Clamp(p.Fraction, 0, 1) * BarWidth);
        var bar = new string('#', filled) + new string('.', BarWidth - filled);
        var rate = p.ItemsPerSecond > 0 ? $" {p.ItemsPerSecond:N0} img/s" : string.Empty;
        var left = p.Remaining is { } r ? (r.TotalHours >= 1 ? $" {(int)r.TotalHours}:{r:mm\\:ss} left" : $" {r:mm\\:ss} left") : string.Empty;
        return $"{p.Stage} [{bar}] {p.Fraction,4:P0} {p.Done:N0}/{p.Total:N0}{rate}{left}";
    }
}
