using System.Diagnostics;
using System.Runtime;

namespace ImageWorkbench.Pipeline.Measuring;

/// <summary>
/// Warm-up before a timing: .NET's tiered JIT first runs new code unoptimised and recompiles hot methods in the
/// background only after a quiet period, which under load can take seconds. <see cref="Run"/> calls the code until
/// a minimum time has passed and then until the JIT has compiled nothing new for <see cref="QuietPeriod"/>
/// (<see cref="JitInfo.GetCompiledMethodCount"/>), bounded by a maximum.
/// </summary>
internal static class WarmUp
{
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Calls <paramref name="step"/>(0, 1, 2, ...) at least <paramref name="minCalls"/> times and for at least
    /// <paramref name="min"/>; then, when <paramref name="min"/> is positive, until no method was JIT-compiled for
    /// <see cref="QuietPeriod"/> or <paramref name="max"/> has passed. Returns the number of calls.
    /// </summary>
    public static int Run(Action<int> step, int minCalls, TimeSpan min, TimeSpan max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(step);
        var watch = Stopwatch.StartNew();
        var calls = 0;
        while (calls < minCalls || watch.Elapsed < min)
        {
            cancellationToken.ThrowIfCancellationRequested();
            step(calls++);
        }

        if (min <= TimeSpan.Zero)
        {
            return calls;
        }

        var compiled = JitInfo.GetCompiledMethodCount();
        var lastChange = watch.Elapsed;
        while (watch.Elapsed < max && watch.Elapsed - lastChange < QuietPeriod)
        {
            cancellationToken.ThrowIfCancellationRequested();
            step(calls++);
            var now = JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                compiled = now;
                lastChange = watch.Elapsed;
            }
        }

        return calls;
    }
}
