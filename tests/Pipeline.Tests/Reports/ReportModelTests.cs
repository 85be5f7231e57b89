using System.Net;
using System.Text.Json;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Pipeline.Reports.Document;
using ImageWorkbench.Pipeline.Results;
using static ImageWorkbench.Pipeline.Tests.Reports.ReportFixtures;

namespace ImageWorkbench.Pipeline.Tests.Reports;

/// <summary>The report model: sections found through one registry, one document rendered by both writers, report.json from records.</summary>
public sealed class ReportModelTests
{
    [Fact]
    public void Every_section_class_is_registered_once()
    {
        var registered = ReportSections.All.Select(s => s.GetType()).ToArray();
        var implemented = typeof(IReportSection).Assembly.GetTypes()
            .Where(t => typeof(IReportSection).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .ToArray();
        Assert.Equal(registered.Length, registered.Distinct().Count());
        Assert.Equal(implemented.OrderBy(t => t.Name, StringComparer.Ordinal), registered.OrderBy(t => t.Name, StringComparer.Ordinal));
    }

    [Fact]
    public void Markdown_and_html_render_the_same_headings_tables_and_pictures()
    {
        var document = ReportSections.Build(new ReportContext(Result(), new FakeReportImages()));
        var md = MarkdownWriter.Render(document);
        var html = HtmlWriter.Render(document);
        var headings = document.Blocks.OfType<Heading>().ToArray();
        Assert.True(headings.Length > 10, $"only {headings.Length} headings");
        foreach (var h in headings)
        {
            Assert.Contains(new string('#', h.Level) + " " + MarkdownWriter.Escape(h.Text) + "\n", md, StringComparison.Ordinal);
            Assert.Contains(">" + WebUtility.HtmlEncode(h.Text) + "</h" + h.Level, html, StringComparison.Ordinal);
        }

        var tables = document.Blocks.OfType<Table>().Count();
        Assert.Equal(tables, html.Split("<table").Length - 1);
        Assert.Equal(document.Pictures().Count(), document.Pictures().Select(p => p.File).Distinct().Count());
        foreach (var picture in document.Pictures())
        {
            Assert.Contains("](" + picture.File + ")", md, StringComparison.Ordinal);
            Assert.Contains(picture.DataUri, html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Prose_names_and_pair_order_come_from_the_result_not_from_the_pipeline_name()
    {
        // Pipelines the report has never heard of: what it says comes from DisplayName and ComparisonRank alone.
        var fine = CnnRun() with { Pipeline = "finetuned", DisplayName = "fine-tuned CNN", ComparisonRank = 2 };
        var hybrid = HandCraftedRun() with { Pipeline = "hybrid", DisplayName = "", ComparisonRank = 0 };
        var result = Result(fine, hybrid);

        var pair = Assert.Single(ReportAnalysis.Pairs(result));
        Assert.Equal((1, 0), (pair.A, pair.B)); // the higher rank is B, though it ran first
        var sentence = ReportAnalysis.TradeOff(result).Sentence;
        Assert.StartsWith("The fine-tuned CNN is 25.0 points more accurate", sentence, StringComparison.Ordinal);
        Assert.EndsWith("otherwise the hybrid pipeline.", sentence, StringComparison.Ordinal);

        // Equal ranks keep run order.
        var same = Assert.Single(ReportAnalysis.Pairs(Result(fine with { ComparisonRank = 0 }, hybrid)));
        Assert.Equal((0, 1), (same.A, same.B));
    }

    [Fact]
    public void Report_json_keeps_the_keys_and_their_order()
    {
        using var doc = JsonDocument.Parse(ReportJson.ToText(Result()));
        var root = doc.RootElement;
        Assert.Equal(
            ["dataset", "command", "machine", "createdUtc", "seed", "runSeconds", "peakWorkingSetBytes", "results", "disagreements", "best", "tradeOff", "pairwise", "selection", "learningCurve", "folds"],
            Keys(root));
        Assert.Equal(["name", "location", "classes", "trainCount", "testCount"], Keys(root.GetProperty("dataset")));
        Assert.Equal(
            [
                "pipeline", "trainer", "featureSet", "label", "count", "accuracy", "macroAccuracy", "macroF1", "logLoss", "topK", "classes", "perClass",
                "confusionMatrix", "featurizeImagesPerSecond", "featureCacheHits", "trainSeconds", "predictMillisecondsP50", "predictMillisecondsP95",
                "batchImagesPerSecond", "modelBytes", "peakWorkingSetBytes", "modelPath", "accuracyCi95", "macroF1Ci95", "trainAccuracy", "ece",
            ],
            Keys(root.GetProperty("results")[0]));
        Assert.Equal(["class", "precision", "recall", "f1", "support"], Keys(root.GetProperty("results")[0].GetProperty("perClass")[0]));
        Assert.Equal(["1", "3"], Keys(root.GetProperty("results")[0].GetProperty("topK")));
        Assert.Equal(["a", "b", "matched", "bothCorrect", "bothWrong", "onlyACorrect", "onlyBCorrect"], Keys(root.GetProperty("disagreements")[0]));
        Assert.Equal(["kind", "sentence", "moreAccurate", "faster", "recommended"], Keys(root.GetProperty("tradeOff")));
        Assert.Equal(["a", "b", "datasetName", "accuracyDifference", "accuracyDifferenceCi95", "mcnemarP", "onlyARight", "onlyBRight"], Keys(root.GetProperty("pairwise")[0]));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("tradeOff").GetProperty("recommended").ValueKind);
        Assert.EndsWith("}\n", ReportJson.ToText(Result()), StringComparison.Ordinal);
    }

    [Fact]
    public void Metrics_json_has_the_evaluation_keys_and_writes_unmeasured_figures_as_null()
    {
        var metrics = Metrics(HandCraftedPredicted, 0.55f);
        var node = MetricsJson.ToJson(metrics);
        Assert.Equal(["count", "accuracy", "macroAccuracy", "macroF1", "logLoss", "topK", "classes", "perClass", "confusionMatrix"], node.Select(p => p.Key));
        Assert.Equal(metrics.Accuracy, node["accuracy"]!.GetValue<double>());

        var file = new EvaluationFile(MetricsFigures.From(metrics) with { LogLoss = double.NaN }) { Model = "/m.zip", Dataset = "pets", Skipped = 2 };
        using var doc = JsonDocument.Parse(ResultJson.ToText(file));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("logLoss").ValueKind);
        Assert.Equal("/m.zip", doc.RootElement.GetProperty("model").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("skipped").GetInt32());
        Assert.Equal(12, doc.RootElement.GetProperty("count").GetInt32());
    }

    private static string[] Keys(JsonElement e) => [.. e.EnumerateObject().Select(p => p.Name)];
}
