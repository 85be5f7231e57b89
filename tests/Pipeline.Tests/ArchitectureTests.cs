namespace Pipeline.Tests;

/// <summary>Rules of the layout, checked by reading the source: the CLI is thin and holds no ML logic.</summary>
public class ArchitectureTests
{
    [Fact]
    public void Cli_source_uses_no_MLNET_types()
    {
        var cli = Path.Combine(RepoRoot(), "src", "Pipeline.Cli");
        var offenders = Directory.GetFiles(cli, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains("Microsoft.ML", StringComparison.Ordinal) || File.ReadAllText(f).Contains("MLContext", StringComparison.Ordinal))
            .Select(Path.GetFileName)
            .ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void Cli_project_references_only_the_Pipeline_library()
    {
        var project = File.ReadAllText(Path.Combine(RepoRoot(), "src", "Pipeline.Cli", "Pipeline.Cli.csproj"));
        Assert.DoesNotContain("PackageReference", project, StringComparison.Ordinal);
        Assert.Contains(@"..\Pipeline\Pipeline.csproj", project, StringComparison.Ordinal);
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Pipeline.sln not found above the test assembly");
    }
}
