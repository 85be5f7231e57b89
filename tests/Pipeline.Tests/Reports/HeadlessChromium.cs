using System.Diagnostics;

namespace ImageWorkbench.Pipeline.Tests.Reports;

/// <summary>Runs Chromium headless on a local file, offline, with a fresh profile and a hard timeout.</summary>
internal static class HeadlessChromium
{
    public const string DefaultPath = "/usr/bin/chromium";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The browser to use: $CHROMIUM, else /usr/bin/chromium; fails the test with install advice when missing.</summary>
    public static string RequirePath()
    {
        var path = Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } p ? p : DefaultPath;
        if (!File.Exists(path))
        {
            Assert.Fail($"{path} not found: the report's browser check needs Chromium. Install it with `apt-get update && apt-get install -y --no-install-recommends chromium` (CI installs it), or set CHROMIUM to a Chromium binary.");
        }

        return path;
    }

    public sealed record Run(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs the browser with the common offline/headless flags plus <paramref name="extra"/>, on <paramref name="file"/>.</summary>
    public static Run Start(string chromium, string file, params string[] extra)
    {
        var profile = Path.Combine(Path.GetTempPath(), "chromium-profile-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        try
        {
            var info = new ProcessStartInfo(chromium)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            string[] flags =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--disable-extensions", "--mute-audio",
                // Offline: any host name fails to resolve, so a reference to the network cannot load.
                "--host-resolver-rules=MAP * ~NOTFOUND",
                $"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
            ];
            foreach (var a in flags.Concat(extra))
            {
                info.ArgumentList.Add(a);
            }

            info.ArgumentList.Add(new Uri(file).AbsoluteUri);
            using var process = Process.Start(info) ?? throw new InvalidOperationException("chromium did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                Assert.Fail($"chromium did not finish within {Timeout.TotalSeconds} s (killed). stderr so far:\n{Tail(stderr)}");
            }

            process.WaitForExit();
            return new Run(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>
    /// Problems the page reported in Chromium's log: uncaught exceptions and any console message (Chromium logs every console level as
    /// <c>INFO:CONSOLE</c>; the report has no scripts and the probe logs only on failure, so any console line is a problem).
    /// </summary>
    public static IReadOnlyList<string> PageErrors(string stderr) =>
        [.. stderr.Split('\n').Where(l => l.Contains("Uncaught", StringComparison.Ordinal) || l.Contains(":CONSOLE", StringComparison.Ordinal))];

    private static string Tail(Task<string> text) => text.IsCompleted ? text.Result[^Math.Min(2000, text.Result.Length)..] : "";
}
