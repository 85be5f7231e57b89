using System.Runtime.InteropServices;

namespace ImageWorkbench.FeatureExtractors.Benchmarks;

/// <summary>
/// CPU time of the calling thread (Linux clock_gettime(CLOCK_THREAD_CPUTIME_ID)), so throughput "per core"
/// can be quoted even while other processes share the machine. Falls back to wall time elsewhere.
/// </summary>
internal static partial class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    public static bool Available { get; } = OperatingSystem.IsLinux() && Probe();

    /// <summary>Seconds of CPU this thread has used.</summary>
    public static double Seconds()
    {
        if (!Available)
        {
            return System.Diagnostics.Stopwatch.GetTimestamp() / (double)System.Diagnostics.Stopwatch.Frequency;
        }

        _ = ClockGetTime(ClockThreadCpuTimeId, out TimeSpec t);
        return t.Seconds + (t.Nanoseconds * 1e-9);
    }

    private static bool Probe()
    {
        try
        {
            return ClockGetTime(ClockThreadCpuTimeId, out _) == 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }
}
