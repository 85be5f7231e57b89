using System.Text.RegularExpressions;
using ImageWorkbench.Pipeline.Tests.Embedding;
using ImageWorkbench.Pipeline.Tests.Packaging;

namespace ImageWorkbench.Pipeline.Tests.Cli;

/// <summary>
/// README's quick tour runs as written: each <c>pipeline</c> line as a child process of the built CLI in a fresh
/// folder holding only what the repository ships (<c>samples/images/</c>), in order, each exiting 0; the web sample's
/// line then starts on the model the tour trained and serves its page.
/// </summary>
public sealed partial class QuickTourTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quick-tour-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The lines of the first sh block under README's "## Quick tour" heading.</summary>
    internal static IReadOnlyList<string> TourLines()
    {
        var readme = File.ReadAllText(Path.Combine(ArchitectureTests.RepoRoot(), "README.md"));
        var match = TourBlock().Match(readme);
        Assert.True(match.Success, "README has no '## Quick tour' section with a sh block");
        return [.. match.Groups[1].Value.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)];
    }

    [Fact]
    public async Task Every_quick_tour_command_runs_as_written_in_a_fresh_folder()
    {
        var repo = ArchitectureTests.RepoRoot();
        var images = Path.Combine(_folder, "samples", "images");
        Directory.CreateDirectory(images);
        foreach (var file in Directory.GetFiles(Path.Combine(repo, "samples", "images"), "*.png"))
        {
            File.Copy(file, Path.Combine(images, Path.GetFileName(file)));
        }

        var cli = Path.Combine(AppContext.BaseDirectory, "ImageWorkbench.Pipeline.Cli.dll");
        var lines = TourLines();
        Assert.StartsWith("alias pipeline=", lines[0], StringComparison.Ordinal);
        var commands = lines.Where(l => l.StartsWith("pipeline ", StringComparison.Ordinal)).ToList();
        Assert.True(commands.Count >= 5, string.Join('\n', lines));
        foreach (var command in commands)
        {
            var words = Uncommented(command).Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1);
            var run = DotnetCommand.Run("dotnet", _folder, TimeSpan.FromMinutes(5), [cli, .. words]);
            Assert.True(run.ExitCode == 0, $"{command}\n{run.Output}");
        }

        Assert.True(File.Exists(Path.Combine(_folder, "predictions.csv")));
        Assert.Equal(501, File.ReadAllLines(Path.Combine(_folder, "predictions.csv")).Length);

        var web = Assert.Single(lines, l => l.StartsWith("dotnet run --project samples/WebApi", StringComparison.Ordinal));
        var modelPath = Path.Combine(_folder, ModelArgument().Match(web).Groups[1].Value);
        Assert.True(File.Exists(modelPath), $"the web sample's model {modelPath} is not made by an earlier line");
        var port = WebSample.FreePort();
        using var server = WebSample.Start(port, modelPath);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            await WebSample.WaitUntilReady(http, server);
            Assert.Contains("<input id=\"file\"", await http.GetStringAsync(new Uri("/", UriKind.Relative)), StringComparison.Ordinal);
        }
        finally
        {
            WebSample.Stop(server);
        }
    }

    private static string Uncommented(string line) => line.Contains(" #", StringComparison.Ordinal) ? line[..line.IndexOf(" #", StringComparison.Ordinal)] : line;

    [GeneratedRegex(@"## Quick tour\n.*?```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex TourBlock();

    [GeneratedRegex(@"--Model:Path=(\S+)")]
    private static partial Regex ModelArgument();
}
