using System.Diagnostics;
using System.Text.Json;

namespace ImageWorkbench.Pipeline.Benchmarking;

/// <summary>A Python script <c>pipeline bench</c> runs as a reference implementation in the same run.</summary>
/// <param name="Path">The script, relative to the repository or to the executable's folder (e.g. <c>benchmarks/pytorch/resnet18_speed.py</c>).</param>
/// <param name="Library">The key of the library version in the script's JSON line, and the word before it in the status (e.g. <c>torch</c>).</param>
/// <param name="Needs">What the interpreter must have, for the "not measured" status (e.g. <c>torch and torchvision</c>).</param>
/// <param name="DebianPackages">The Debian packages that bring it (e.g. <c>python3-opencv</c>).</param>
internal sealed record PythonScript(string Path, string Library, string Needs, string DebianPackages);

/// <summary>
/// Runs a <see cref="PythonScript"/> that prints one JSON line with <c>imagesPerSecond</c> and its library's version,
/// under the first <c>python3</c> on PATH, then Debian's <c>/usr/bin/python3</c> (the first may be a virtualenv without
/// the library), with <c>OMP_WAIT_POLICY=PASSIVE</c>. The status is "&lt;library&gt; &lt;version&gt;" or "not measured: " and why.
/// </summary>
internal static class PythonReference
{
    private static readonly string[] Interpreters = ["python3", "/usr/bin/python3"];

    public static (double Rate, string Status) Measure(PythonScript script, string arguments, TimeSpan limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(script);
        var path = Locate(script.Path);
        if (path is null)
        {
            return (double.NaN, $"not measured: {script.Path} not found");
        }

        foreach (var python in Interpreters)
        {
            var (code, stdout, stderr) = Run(python, $"\"{path}\" {arguments}", limit, cancellationToken);
            if (code == 0 && stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() is { } last)
            {
                try
                {
                    using var json = JsonDocument.Parse(last);
                    return (json.RootElement.GetProperty("imagesPerSecond").GetDouble(), script.Library + " " + json.RootElement.GetProperty(script.Library).GetString());
                }
                catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    return (double.NaN, $"not measured: {python} printed no result ({ex.Message})");
                }
            }

            if (code is not null && !stderr.Contains("No module named", StringComparison.Ordinal))
            {
                return (double.NaN, $"not measured: {python} {script.Path} failed (exit {code}): {stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()}");
            }
        }

        return (double.NaN, $"not measured: no python3 with {script.Needs} (Debian: apt-get install {script.DebianPackages})");
    }

    private static string? Locate(string relativePath)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, relativePath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs a program; exit code null when it could not be started.</summary>
    private static (int? Code, string Stdout, string Stderr) Run(string file, string arguments, TimeSpan limit, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };

        // Idle OpenMP threads sleep instead of spinning, as the engine's do (allow_spinning 0): spinning collapsed PyTorch
        // on the shared 2-core machine (load 20: 0.56 img/s with 2 spinning threads, 8.6 passive, 11.2 with 1 thread).
        info.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        Process? process;
        try
        {
            process = Process.Start(info);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, string.Empty, string.Empty);
        }

        if (process is null)
        {
            return (null, string.Empty, string.Empty);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            if (!process.WaitForExit(limit) || cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                cancellationToken.ThrowIfCancellationRequested();
                return (-1, string.Empty, "timed out");
            }

            process.WaitForExit();
            return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
    }
}
