using System.Diagnostics;
using System.Reflection;

namespace ImageWorkbench.Pipeline.Tests.Packaging;

/// <summary>Runs the dotnet CLI (or a program it installed) as a child process for the packaging tests.</summary>
internal static class DotnetCommand
{
    /// <summary>The configuration these tests were built in: the one whose build output gets packed.</summary>
    public const string Configuration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    /// <summary>The version every package and assembly carries (Directory.Build.props), without the "+commit" suffix.</summary>
    public static string PackageVersion()
    {
        var cli = Assembly.Load("ImageWorkbench.Pipeline.Cli");
        var informational = cli.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? informational : informational[..plus];
    }

    public sealed record Result(int ExitCode, string Output);

    /// <summary>
    /// Runs <paramref name="program"/> in <paramref name="workingDirectory"/> and returns its exit code and its
    /// standard output and error together; fails the test when it takes longer than <paramref name="limit"/>.
    /// </summary>
    public static Result Run(string program, string workingDirectory, TimeSpan limit, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // No MSBuild node or build server may outlive the command: one that inherits our output pipe would keep the
        // reads below open long after the command ended.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
            Assert.Fail($"{program} {string.Join(' ', start.ArgumentList)} did not finish within {limit.TotalSeconds:F0} s");
        }

        // The process has ended; its output ends with it unless something it started still holds the pipe.
        Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(10));
        var output = (stdout.IsCompletedSuccessfully ? stdout.Result : "") + (stderr.IsCompletedSuccessfully ? stderr.Result : "");
        return new Result(process.ExitCode, output);
    }

    /// <summary>A nuget.config that reads packages only from <paramref name="feed"/> and the machine's package folder, and writes only below <paramref name="packagesFolder"/>.</summary>
    public static string WriteOfflineNuGetConfig(string folder, string feed, string packagesFolder)
    {
        // The machine's global packages folder serves the dependencies (ML.NET, ONNX Runtime, ...) read-only, as a
        // fallback folder; the packages just packed are extracted into the temp folder, so a later run with the same
        // version never picks up a stale copy from the machine's cache.
        var machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(folder, "nuget.config");
        File.WriteAllText(path, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{packagesFolder}" />
              </config>
              <packageSources>
                <clear />
                <add key="local-feed" value="{feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <clear />
                <add key="machine" value="{machinePackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        return path;
    }
}
