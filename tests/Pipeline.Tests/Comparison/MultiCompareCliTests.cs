using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Pipeline.Tests.Data;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Pipeline.Tests.Hostile;
using HostileCli = ImageWorkbench.Pipeline.Tests.Hostile.Cli;

namespace ImageWorkbench.Pipeline.Tests.Comparison;

/// <summary><c>compare --data A,B</c>: one report over both data sets; one data set keeps today's report.json.</summary>
[Collection("Console")]
public sealed partial class MultiCompareCliTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Compare_on_two_embedded_sets_writes_one_report_with_a_matrix_and_a_data_set_each()
    {
        var (outDir, run, json) = TinyHandCraftedCompare("fashion-mnist-mini,caltech101-mini");
        Assert.Equal(ResultJson.Keys<MultiReportFile>(), json.Select(p => p.Key));
        var datasets = json["datasets"]!.AsArray();
        Assert.Equal(["fashion-mnist-mini", "caltech101-mini"], datasets.Select(d => (string)d!["dataset"]!["name"]!));
        Assert.All(datasets, d => Assert.Equal(ResultJson.Keys<ReportFile>(), d!.AsObject().Select(p => p.Key)));
        Assert.Equal([20, 12], datasets.Select(d => (int)d!["dataset"]!["testCount"]!));
        var matrix = json["matrix"]!.AsArray();
        Assert.Equal(["fashion-mnist-mini/handcrafted", "caltech101-mini/handcrafted"], matrix.Select(e => $"{e!["dataset"]}/{e["pipeline"]}"));
        Assert.All(matrix, e =>
        {
            var ci = e!["accuracyCi95"]!.AsArray().Select(v => (double)v!).ToArray();
            Assert.InRange((double)e["accuracy"]!, ci[0], ci[1]);
        });

        // each data set's model in its own folder; HTML ids unique across the data-set sections
        Assert.True(File.Exists(Path.Combine(outDir, "fashion-mnist-mini", "handcrafted.zip")));
        Assert.True(File.Exists(Path.Combine(outDir, "caltech101-mini", "handcrafted.zip")));
        var ids = HtmlId().Matches(File.ReadAllText(Path.Combine(outDir, "report.html"))).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(ids.Distinct(StringComparer.Ordinal), ids);
        Assert.Contains("fashion-mnist-mini-verdict", ids);
        Assert.Contains("caltech101-mini-verdict", ids);
        Assert.Contains("caltech101-mini / handcrafted: accuracy", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_on_one_data_set_keeps_the_one_data_set_report_json()
    {
        var (outDir, _, json) = TinyHandCraftedCompare("caltech101-mini");
        Assert.Equal(ResultJson.Keys<ReportFile>(), json.Select(p => p.Key));
        Assert.Equal("caltech101-mini", (string)json["dataset"]!["name"]!);
        Assert.True(File.Exists(Path.Combine(outDir, "handcrafted.zip")));
        Assert.Contains("id=\"verdict\"", File.ReadAllText(Path.Combine(outDir, "report.html")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("an empty entry", "--data", "fashion-mnist-mini,,caltech101-mini")]
    [InlineData("a repeated entry", "--data", "caltech101-mini,caltech101-mini")]
    [InlineData("--models with several", "--data", "fashion-mnist-mini,caltech101-mini", "--models", "m.zip")]
    [InlineData("--section with several", "--data", "fashion-mnist-mini,caltech101-mini", "--readme", "README.md", "--section", "x")]
    public void Several_data_sets_refuse_what_does_not_fit_before_any_work(string why, params string[] args)
    {
        var outDir = Path.Combine(dir.Root, "refused");
        var run = HostileCli.Run(["compare", .. args.Select(a => a is "m.zip" or "README.md" ? Path.Combine(dir.Root, a) : a), "--out", outDir]);
        Assert.True(run.ExitCode == 2, $"{why}: {run}");
        Assert.Single(run.ErrLines, l => l.StartsWith("usage error:", StringComparison.Ordinal));
        Assert.False(Directory.Exists(outDir));
    }

    /// <summary>A hand-crafted-only compare on 4 train / 2 test images per class of <paramref name="data"/>: its folder, run and report.json.</summary>
    private (string OutDir, CliResult Run, JsonObject Json) TinyHandCraftedCompare(string data)
    {
        var outDir = Path.Combine(dir.Root, "report-" + data.Replace(',', '+'));
        var run = HostileCli.Run(TimeSpan.FromSeconds(180), "compare", "--data", data, "--pipelines", "handcrafted", "--max-train-per-class", "4", "--max-test-per-class", "2", "--out", outDir);
        Assert.True(run.ExitCode == 0, run.ToString());
        return (outDir, run, JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!.AsObject());
    }

    [GeneratedRegex("\\bid=\"([^\"]*)\"")]
    private static partial Regex HtmlId();
}
