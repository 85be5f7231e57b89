using System.Runtime.InteropServices;
using ImageWorkbench.Pipeline.Comparison;

namespace ImageWorkbench.Pipeline.Benchmarking;

/// <summary>The machine a benchmark ran on, so figures from different machines are never mixed up.</summary>
/// <param name="Description">One line, as in report.json's <c>machine</c>: cores, memory, OS, .NET.</param>
/// <param name="LogicalCores"><see cref="Environment.ProcessorCount"/> (what "all threads" means).</param>
/// <param name="MemoryBytes">Memory available to the process (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>; a container limit when there is one).</param>
/// <param name="Os"><see cref="RuntimeInformation.OSDescription"/>.</param>
/// <param name="Architecture"><see cref="RuntimeInformation.ProcessArchitecture"/>, e.g. <c>X64</c>.</param>
/// <param name="Framework"><see cref="RuntimeInformation.FrameworkDescription"/>, e.g. <c>.NET 10.0.0</c>.</param>
/// <param name="CpuModel">The <c>model name</c> line of <c>/proc/cpuinfo</c>; null where there is none (Windows, macOS, some ARM boards).</param>
public sealed record MachineInfo(string Description, int LogicalCores, long MemoryBytes, string Os, string Architecture, string Framework, string? CpuModel)
{
    public static MachineInfo Current() => new(
        ComparisonRunner.MachineDescription(),
        Environment.ProcessorCount,
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        RuntimeInformation.OSDescription,
        RuntimeInformation.ProcessArchitecture.ToString(),
        RuntimeInformation.FrameworkDescription,
        ReadCpuModel("/proc/cpuinfo"));

    /// <summary>The value of the first <c>model name</c> line of a cpuinfo file, or null.</summary>
    internal static string? ReadCpuModel(string cpuinfoPath)
    {
        try
        {
            if (!File.Exists(cpuinfoPath))
            {
                return null;
            }

            foreach (var line in File.ReadLines(cpuinfoPath))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    var value = colon < 0 ? string.Empty : line[(colon + 1)..].Trim();
                    return value.Length == 0 ? null : value;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // unreadable cpuinfo: the model is simply not known
        }

        return null;
    }
}
