using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Runtime.Files;
using static ImageWorkbench.Pipeline.Tests.Reports.ReportFixtures;

namespace ImageWorkbench.Pipeline.Tests.Reports;

/// <summary>The report of a comparison over several data sets: matrix on top, one section per data set, ids unique, report.json datasets[] + matrix[].</summary>
public sealed partial class MultiComparisonReportTests : IDisposable
{
    private readonly string folder = TempFolder();

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Two_data_sets_give_one_report_with_a_matrix_and_a_section_each()
    {
        var result = TwoSets();
        var output = Path.Combine(folder, "report");
        IReadOnlyList<string> written;
        using (var staged = StagedFolder.Begin(output))
        {
            written = MultiComparisonReport.Write(result, staged, [new FakeReportImages(), new FakeReportImages()]);
            staged.Commit();
        }

        // report.json: the run, the matrix, and each data set exactly as its own one-data-set report.json
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!.AsObject();
        Assert.Equal(ResultJson.Keys<MultiReportFile>(), json.Select(p => p.Key));
        var datasets = json["datasets"]!.AsArray();
        Assert.Equal(2, datasets.Count);
        for (var i = 0; i < 2; i++)
        {
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(ReportJson.ToText(result.Datasets[i])), datasets[i]), $"datasets[{i}] differs from its own report.json");
        }

        var matrix = json["matrix"]!.AsArray();
        Assert.Equal(["pets-mini/handcrafted", "pets-mini/cnn", "photos-mini/handcrafted", "photos-mini/cnn"], matrix.Select(e => $"{e!["dataset"]}/{e["label"]}"));
        var handCrafted = matrix[0]!;
        Assert.Equal(0.5, handCrafted["accuracy"]!.GetValue<double>());
        Assert.Equal(12, handCrafted["testCount"]!.GetValue<int>());
        var (low, high) = Intervals.Wilson(6, 12);
        Assert.Equal([low, high], handCrafted["accuracyCi95"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.InRange(low, 0.25, 0.30); // Wilson 95 % for 6 of 12: 0.254 .. 0.746
        Assert.InRange(high, 0.70, 0.75);
        var snippet = File.ReadAllText(Path.Combine(ComparisonReportTests.RepoRoot(), "src", "Pipeline", "Reports", "README-report-json.md"));
        Assert.All(json.Select(p => p.Key).Concat(handCrafted.AsObject().Select(p => p.Key)), key => Assert.Contains($"`{key}`", snippet, StringComparison.Ordinal));

        // HTML: every id once, each data set's verdict and tables under its own key
        var html = File.ReadAllText(Path.Combine(output, "report.html"));
        var ids = HtmlId().Matches(html).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(ids.Distinct(StringComparer.Ordinal), ids);
        Assert.Contains("matrix", ids);
        Assert.Contains("pets-mini-verdict", ids);
        Assert.Contains("photos-mini-verdict", ids);
        Assert.Contains("photos-mini-summary-quality", ids);
        Assert.Contains("dataset-photos-mini", ids);
        Assert.True(html.IndexOf("id=\"matrix\"", StringComparison.Ordinal) < html.IndexOf("id=\"dataset-pets-mini\"", StringComparison.Ordinal), "the matrix comes first");

        // Markdown: one h1, a section per data set, every picture it references written, once per data set
        var md = File.ReadAllText(Path.Combine(output, "report.md"));
        Assert.Single(md.Split('\n'), l => l.StartsWith("# ", StringComparison.Ordinal));
        Assert.Contains("## Data set: pets-mini", md, StringComparison.Ordinal);
        Assert.Contains("## Data set: photos-mini", md, StringComparison.Ordinal);
        var referenced = MarkdownImage().Matches(md).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToArray();
        Assert.All(referenced, r => Assert.True(File.Exists(Path.Combine(output, r)), r));
        Assert.Contains("images/f1-per-class--pets-mini.png", referenced);
        Assert.Contains("images/f1-per-class--photos-mini.png", referenced);
        Assert.Equal(written.Count - 3, referenced.Length);
    }

    [Fact]
    public void Data_sets_with_the_same_name_get_distinct_keys()
    {
        Assert.Equal(["data", "data-2", "data-3", "photos"], DatasetKeys.For(["data", "data", "Data", "photos"]));
    }

    private static MultiComparisonResult TwoSets()
    {
        var grey = Result();
        var photos = Result(HandCraftedRun(), CnnRun()) with { Dataset = new DatasetSummary("photos-mini", "/data/photos-mini", Classes, 48, Truth.Length) };
        return new MultiComparisonResult([grey, photos], DatasetKeys.For([grey.Dataset.Name, photos.Dataset.Name]), "pipeline compare --out out/report", grey.Machine, grey.CreatedUtc, 7, 12.5, 300_000_000);
    }

    [GeneratedRegex("\\bid=\"([^\"]*)\"")]
    private static partial Regex HtmlId();

    [GeneratedRegex("!\\[[^\\]]*\\]\\(([^)]*)\\)")]
    private static partial Regex MarkdownImage();
}
