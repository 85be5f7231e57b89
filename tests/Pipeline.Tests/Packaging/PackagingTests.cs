using System.IO.Compression;
using System.Xml.Linq;

namespace ImageWorkbench.Pipeline.Tests.Packaging;

/// <summary>
/// `dotnet pack` of the solution, from the build the tests run on (no rebuild), into a temp folder feed: the packages,
/// their metadata and dependencies, the `pipeline` tool installed from that feed, and an app built on the runtime
/// package. Everything is written below one temp folder; packages are read from that feed and the machine's package
/// folder only (no network).
/// </summary>
public sealed class PackagingTests(PackedFeed packed) : IClassFixture<PackedFeed>
{
    private static readonly string[] PackageIds =
        ["ImageWorkbench.FeatureExtractors", "ImageWorkbench.Runtime", "ImageWorkbench.Pipeline", "ImageWorkbench.Pipeline.Cli"];

    private const string ResNet18Package = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>What an app that only uses a model must not carry: the charts, their text shaping, the workbench.</summary>
    internal static readonly string[] WorkbenchOnlyNames = ["OxyPlot", "HarfBuzz", "Parquet", "ImageWorkbench.Pipeline"];

    [Fact]
    public void Pack_gives_one_package_per_src_project_with_real_metadata()
    {
        Assert.True(packed.ExitCode == 0, packed.Output);
        // Tests, samples and benchmarks are not packable: the feed holds exactly the four src packages.
        Assert.Equal(
            PackageIds.Select(id => $"{id}.{packed.Version}.nupkg").Order(StringComparer.Ordinal),
            Directory.GetFiles(packed.Feed).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        foreach (var id in PackageIds)
        {
            using var package = packed.Open(id);
            var nuspec = Nuspec(package);
            string Field(string name) => nuspec.Element(nuspec.Name.Namespace + name)?.Value ?? "";

            Assert.Equal(id, Field("id"));
            Assert.Equal(packed.Version, Field("version"));
            Assert.False(string.IsNullOrWhiteSpace(Field("authors")), id);
            Assert.DoesNotContain("Package Description", Field("description"), StringComparison.Ordinal);
            Assert.True(Field("description").Length > 40, $"{id}: description '{Field("description")}'");
            Assert.Equal("MIT", Field("license"));
            Assert.Equal("expression", nuspec.Element(nuspec.Name.Namespace + "license")!.Attribute("type")!.Value);
            var readme = Field("readme");
            Assert.Equal("README.md", readme);
            Assert.Contains(id, ReadEntry(package, readme), StringComparison.Ordinal);
            Assert.Equal("git", nuspec.Element(nuspec.Name.Namespace + "repository")?.Attribute("type")?.Value);
        }
    }

    [Fact]
    public void Runtime_package_depends_on_the_extractors_package_and_not_on_the_workbench()
    {
        Assert.True(packed.ExitCode == 0, packed.Output);
        using var runtime = packed.Open("ImageWorkbench.Runtime");
        var dependencies = Dependencies(Nuspec(runtime));

        Assert.Equal(packed.Version, dependencies["ImageWorkbench.FeatureExtractors"].Version);
        Assert.DoesNotContain(dependencies.Keys, id => WorkbenchOnlyNames.Any(name => id.Contains(name, StringComparison.OrdinalIgnoreCase)));
        // The ResNet18 files reach an app through the featurizer package's build step: it must not be excluded, and
        // this package carries no copy of its own.
        if (dependencies.TryGetValue(ResNet18Package, out var resNet18))
        {
            Assert.DoesNotContain("build", resNet18.Exclude, StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain(runtime.Entries, e => e.FullName.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase));
        Assert.True(new FileInfo(packed.PathOf("ImageWorkbench.Runtime")).Length < 2_000_000, "the runtime package holds more than its assembly");

        using var workbench = packed.Open("ImageWorkbench.Pipeline");
        Assert.Equal(packed.Version, Dependencies(Nuspec(workbench))["ImageWorkbench.Runtime"].Version);
        Assert.DoesNotContain(workbench.Entries, e => e.FullName.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Pipeline_installs_as_a_dotnet_tool_from_the_folder_feed_and_runs()
    {
        Assert.True(packed.ExitCode == 0, packed.Output);
        using (var tool = packed.Open("ImageWorkbench.Pipeline.Cli"))
        {
            Assert.Equal("DotnetTool", Nuspec(tool).Descendants(Nuspec(tool).Name.Namespace + "packageType").Single().Attribute("name")!.Value);
            var names = tool.Entries.Select(e => e.FullName).ToArray();
            // It carries what it runs on: the network, the embedded data sets; not ONNX Runtime's mobile bundles.
            Assert.Contains(names, n => n.EndsWith("/DnnImageModels/ResNet18Onnx/ResNet18.onnx", StringComparison.Ordinal));
            Assert.Contains(names, n => n.EndsWith("/datasets/fashion-mnist-mini/train-images-idx3-ubyte.gz", StringComparison.Ordinal));
            Assert.Contains(names, n => n.EndsWith("/datasets/caltech101-mini/train/llama/image_0001.jpg", StringComparison.Ordinal));
            Assert.Contains(names, n => n.EndsWith("/datasets/caltech101-mini/ATTRIBUTION.md", StringComparison.Ordinal));
            Assert.DoesNotContain(names, n => n.Contains("/runtimes/ios/", StringComparison.Ordinal) || n.Contains("/runtimes/android/", StringComparison.Ordinal));
        }

        var toolPath = Path.Combine(packed.Root, "tools");
        var config = DotnetCommand.WriteOfflineNuGetConfig(packed.Root, packed.Feed, Path.Combine(packed.Root, "tool-packages"));
        var install = DotnetCommand.Run("dotnet", packed.Root, TimeSpan.FromSeconds(90),
            ["tool", "install", "--tool-path", toolPath, "--configfile", config, "ImageWorkbench.Pipeline.Cli", "--version", packed.Version],
            new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(packed.Root, "tool-packages") });
        Assert.True(install.ExitCode == 0, install.Output);

        var pipeline = Path.Combine(toolPath, OperatingSystem.IsWindows() ? "pipeline.exe" : "pipeline");
        var elsewhere = Directory.CreateDirectory(Path.Combine(packed.Root, "work")).FullName;

        // It starts from any folder and finds the data set it carries.
        var info = DotnetCommand.Run(pipeline, elsewhere, TimeSpan.FromSeconds(60), ["dataset", "info"]);
        Assert.True(info.ExitCode == 0, info.Output);
        Assert.Contains("fashion-mnist-mini", info.Output, StringComparison.Ordinal);
        Assert.Contains("Ankle boot", info.Output, StringComparison.Ordinal);
        var photos = DotnetCommand.Run(pipeline, elsewhere, TimeSpan.FromSeconds(60), ["dataset", "info", "--data", "caltech101-mini"]);
        Assert.True(photos.ExitCode == 0, photos.Output);
        Assert.Contains("Faces_easy", photos.Output, StringComparison.Ordinal);

        // `pipeline --version` comes with the System.CommandLine front end: checked from the build that has it.
        if (System.Reflection.Assembly.Load("ImageWorkbench.Pipeline.Cli").GetReferencedAssemblies().Any(a => a.Name == "System.CommandLine"))
        {
            var version = DotnetCommand.Run(pipeline, elsewhere, TimeSpan.FromSeconds(60), ["--version"]);
            Assert.True(version.ExitCode == 0, version.Output);
            Assert.Contains(packed.Version, version.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_app_on_the_runtime_package_gets_the_network_and_no_workbench_assembly()
    {
        Assert.True(packed.ExitCode == 0, packed.Output);
        var app = Directory.CreateDirectory(Path.Combine(packed.Root, "app")).FullName;
        // Empty Directory.Build files stop MSBuild from importing any found above the temp folder.
        File.WriteAllText(Path.Combine(app, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(app, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(app, "Directory.Packages.props"), "<Project />");
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ImageWorkbench.Runtime" Version="{packed.Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """System.Console.WriteLine(System.Reflection.Assembly.Load("ImageWorkbench.Runtime").GetName());""");
        // Restore finds this nuget.config beside the project.
        DotnetCommand.WriteOfflineNuGetConfig(app, packed.Feed, Path.Combine(packed.Root, "app-packages"));

        // In-process compilation: a compiler server started here would outlive the test.
        var build = DotnetCommand.Run("dotnet", app, TimeSpan.FromSeconds(120),
            ["build", "-c", "Release", "-nodeReuse:false", "-p:UseSharedCompilation=false", "-o", Path.Combine(app, "out")]);
        Assert.True(build.ExitCode == 0, build.Output);

        var output = Path.Combine(app, "out");
        var files = Directory.GetFiles(output, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToArray();
        Assert.Contains("ImageWorkbench.Runtime.dll", files);
        Assert.Contains("ImageWorkbench.FeatureExtractors.dll", files);
        using (var runtime = packed.Open("ImageWorkbench.Runtime"))
        {
            if (Dependencies(Nuspec(runtime)).ContainsKey(ResNet18Package))
            {
                Assert.True(File.Exists(Path.Combine(output, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx")), "the ResNet18 network did not reach the app");
            }
        }

        Assert.DoesNotContain(files, f => WorkbenchOnlyNames.Any(name => f!.Contains(name, StringComparison.OrdinalIgnoreCase)));

        var run = DotnetCommand.Run("dotnet", app, TimeSpan.FromSeconds(60), [Path.Combine(output, "App.dll")]);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("ImageWorkbench.Runtime, Version=", run.Output, StringComparison.Ordinal);
    }

    private static XElement Nuspec(ZipArchive package)
    {
        var entry = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/', StringComparison.Ordinal));
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string ReadEntry(ZipArchive package, string name)
    {
        using var reader = new StreamReader(package.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }

    private static Dictionary<string, (string Version, string Exclude)> Dependencies(XElement nuspec) =>
        nuspec.Descendants(nuspec.Name.Namespace + "dependency").ToDictionary(
            d => d.Attribute("id")!.Value,
            d => (d.Attribute("version")!.Value, d.Attribute("exclude")?.Value ?? ""));
}

/// <summary>The solution packed once for the class, from the build output (`--no-build`), into a temp folder feed.</summary>
public sealed class PackedFeed : IDisposable
{
    public PackedFeed()
    {
        Root = Directory.CreateTempSubdirectory("pack-").FullName;
        Feed = Directory.CreateDirectory(Path.Combine(Root, "feed")).FullName;
        Version = DotnetCommand.PackageVersion();
        var repo = ArchitectureTests.RepoRoot();
        // Publish (which packing a tool runs) notes what it wrote in obj/, in a file named by a hash of the publish
        // folder: the one this temp folder adds is removed again below.
        var toolObj = Path.Combine(repo, "src", "Pipeline.Cli", "obj", DotnetCommand.Configuration, "net10.0");
        var publishNotesBefore = PublishNotes(toolObj);
        // The intermediate nuspec files and the tool's publish folder go to the temp folder, not into obj/ and bin/.
        var result = DotnetCommand.Run("dotnet", Root, TimeSpan.FromSeconds(150),
            ["pack", Path.Combine(repo, "Pipeline.sln"), "--no-build", "--no-restore", "-c", DotnetCommand.Configuration, "-o", Feed,
             "-nodeReuse:false", $"-p:NuspecOutputPath={Path.Combine(Root, "nuspec")}/", $"-p:PublishDir={Path.Combine(Root, "publish")}/"]);
        foreach (var added in PublishNotes(toolObj).Except(publishNotesBefore))
        {
            File.Delete(added);
        }

        ExitCode = result.ExitCode;
        Output = result.Output;
        // The tool's publish folder (about 320 MB) is needed no more once packed.
        if (Directory.Exists(Path.Combine(Root, "publish")))
        {
            Directory.Delete(Path.Combine(Root, "publish"), recursive: true);
        }
    }

    public string Root { get; }

    public string Feed { get; }

    public string Version { get; }

    public int ExitCode { get; }

    public string Output { get; }

    public string PathOf(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    public ZipArchive Open(string id) => ZipFile.OpenRead(PathOf(id));

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private static string[] PublishNotes(string folder) =>
        Directory.Exists(folder) ? Directory.GetFiles(folder, "PublishOutputs.*.txt") : [];
}
