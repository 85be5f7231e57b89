using System.Globalization;

namespace ImageWorkbench.Runtime.Files;

/// <summary>Temp files and folders carry the id of the process that made them; one whose process is gone is a leftover of a killed run.</summary>
internal static class ProcessLiveness
{
    /// <summary>Whether process <paramref name="pid"/> still runs (this process always does).</summary>
    public static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId)
        {
            return true;
        }

        if (OperatingSystem.IsLinux())
        {
            return Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
