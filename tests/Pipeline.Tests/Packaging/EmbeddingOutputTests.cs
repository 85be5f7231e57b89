using System.Text.Json;
using System.Xml.Linq;

namespace ImageWorkbench.Pipeline.Tests.Packaging;

/// <summary>
/// The samples stand for an app that embeds a model: they reference the runtime library only, and their build output
/// (built with the test project) holds no chart, text-shaping or workbench assembly, managed or native.
/// </summary>
public sealed class EmbeddingOutputTests
{
    [Theory]
    [InlineData("ConsoleApp")]
    [InlineData("WebApi")]
    public void An_app_referencing_only_the_runtime_carries_no_reporting_assembly(string sample)
    {
        var folder = Path.Combine(ArchitectureTests.RepoRoot(), "samples", sample);
        var project = XDocument.Load(Path.Combine(folder, sample + ".csproj"));
        var references = project.Descendants("ProjectReference").Select(r => r.Attribute("Include")!.Value.Replace('\\', '/')).ToArray();
        Assert.Equal(["../../src/Runtime/Runtime.csproj"], references);

        var output = Path.Combine(folder, "bin", DotnetCommand.Configuration, "net10.0");
        Assert.True(File.Exists(Path.Combine(output, sample + ".dll")), $"samples/{sample} has not been built (it builds with the test project)");
        Assert.True(File.Exists(Path.Combine(output, "ImageWorkbench.Runtime.dll")));

        var carried = Directory.GetFiles(output, "*", SearchOption.AllDirectories)
            .Select(Path.GetFileName)
            .Where(name => PackagingTests.WorkbenchOnlyNames.Any(n => name!.Contains(n, StringComparison.OrdinalIgnoreCase)))
            .ToArray();
        Assert.True(carried.Length == 0, $"samples/{sample} carries {string.Join(", ", carried)}");

        // Nor does the dependency manifest list them (it is what the host loads from).
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, sample + ".deps.json")));
        var libraries = deps.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name).ToArray();
        Assert.DoesNotContain(libraries, l => PackagingTests.WorkbenchOnlyNames.Any(n => l.Contains(n, StringComparison.OrdinalIgnoreCase)));
    }
}
