using System.Text.Json;
using System.Text.RegularExpressions;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Pipeline.Results;
using static ImageWorkbench.Pipeline.Tests.Reports.ReportFixtures;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Tests.Reports;

public sealed partial class ComparisonReportTests : IDisposable
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
    public void Writes_the_three_files_and_only_the_expected_pictures()
    {
        var output = Path.Combine(folder, "out", "report");
        var written = ComparisonReport.Write(Result(), output, new FakeReportImages());

        Assert.True(File.Exists(Path.Combine(output, "report.md")));
        Assert.True(File.Exists(Path.Combine(output, "report.html")));
        Assert.True(File.Exists(Path.Combine(output, "report.json")));
        var top = Directory.EnumerateFileSystemEntries(output).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["images", "report.html", "report.json", "report.md"], top);

        // Nothing else: no temp files anywhere, every picture is one the writer reported and the markdown references.
        var all = Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories).Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(written.Select(Path.GetFullPath).Order(StringComparer.Ordinal), all);
        Assert.DoesNotContain(all, f => f.EndsWith(".tmp", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith('.'));
        var md = File.ReadAllText(Path.Combine(output, "report.md"));
        var referenced = MarkdownImage().Matches(md).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        foreach (var picture in Directory.EnumerateFiles(Path.Combine(output, "images")))
        {
            Assert.Contains("images/" + Path.GetFileName(picture), referenced);
            Assert.True(IsPng(File.ReadAllBytes(picture)), picture);
        }

        foreach (var reference in referenced)
        {
            Assert.True(File.Exists(Path.Combine(output, reference)), $"markdown references missing {reference}");
        }

        // Two confusion heatmaps, F1 bars, accuracy-vs-latency, 2 feature pictures, thumbnails.
        Assert.Equal(2, referenced.Count(r => r.StartsWith("images/confusion-", StringComparison.Ordinal)));
        Assert.Contains("images/f1-per-class.png", referenced);
        Assert.Contains("images/accuracy-vs-latency.png", referenced);
        Assert.Equal(2, referenced.Count(r => r.StartsWith("images/feature-", StringComparison.Ordinal)));
        Assert.Contains(referenced, r => r.StartsWith("images/thumb-test-cat-02-", StringComparison.Ordinal));
    }

    [Fact]
    public void Rewriting_into_the_same_folder_removes_pictures_it_no_longer_uses()
    {
        ComparisonReport.Write(Result(), folder, new FakeReportImages());
        var before = Directory.GetFiles(Path.Combine(folder, "images")).Length;
        ComparisonReport.Write(Result(), folder, NoReportImages.Instance);
        var after = Directory.GetFiles(Path.Combine(folder, "images")).Select(Path.GetFileName).ToArray();
        Assert.True(after.Length < before);
        Assert.DoesNotContain(after, f => f!.StartsWith("thumb-", StringComparison.Ordinal) || f.StartsWith("feature-", StringComparison.Ordinal));
        Assert.Contains("no picture", File.ReadAllText(Path.Combine(folder, "report.html")), StringComparison.Ordinal);
    }

    [Fact]
    public void Report_json_has_every_documented_key_with_the_metrics_values()
    {
        var result = Result();
        ComparisonReport.Write(result, folder, new FakeReportImages());
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "report.json")));
        var root = doc.RootElement;

        var dataset = root.GetProperty("dataset");
        Assert.Equal("pets-mini", dataset.GetProperty("name").GetString());
        Assert.Equal(Classes, dataset.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!).ToArray());
        Assert.Equal(48, dataset.GetProperty("trainCount").GetInt32());
        Assert.Equal(12, dataset.GetProperty("testCount").GetInt32());
        Assert.Equal(result.Command, root.GetProperty("command").GetString());
        Assert.Equal(result.Machine, root.GetProperty("machine").GetString());
        Assert.Equal("2025-03-04T05:06:07.000Z", root.GetProperty("createdUtc").GetString());
        Assert.Equal(7, root.GetProperty("seed").GetInt32());

        var results = root.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(2, results.Length);
        string[] keys =
        [
            "pipeline", "trainer", "featureSet", "accuracy", "macroAccuracy", "macroF1", "logLoss", "topK", "featurizeImagesPerSecond", "trainSeconds",
            "predictMillisecondsP50", "predictMillisecondsP95", "batchImagesPerSecond", "modelBytes", "peakWorkingSetBytes", "perClass", "confusionMatrix",
        ];
        for (var i = 0; i < 2; i++)
        {
            var run = result.Results[i];
            var j = results[i];
            foreach (var key in keys)
            {
                Assert.True(j.TryGetProperty(key, out _), $"results[{i}] lacks {key}");
            }

            Assert.Equal(run.Pipeline, j.GetProperty("pipeline").GetString());
            Assert.Equal(run.FeatureSet, j.GetProperty("featureSet").GetString());
            Assert.Equal(JsonValueKind.Number, j.GetProperty("accuracy").ValueKind);
            Assert.Equal(run.Metrics.Accuracy, j.GetProperty("accuracy").GetDouble());
            Assert.Equal(run.Metrics.MacroAccuracy, j.GetProperty("macroAccuracy").GetDouble());
            Assert.Equal(run.Metrics.MacroF1, j.GetProperty("macroF1").GetDouble());
            Assert.Equal(run.Metrics.LogLoss, j.GetProperty("logLoss").GetDouble());
            Assert.Equal(run.Metrics.TopKAccuracy[3], j.GetProperty("topK").GetProperty("3").GetDouble());
            Assert.False(j.GetProperty("topK").TryGetProperty("5", out _));
            Assert.Equal(run.FeaturizeImagesPerSecond, j.GetProperty("featurizeImagesPerSecond").GetDouble());
            Assert.Equal(run.TrainSeconds, j.GetProperty("trainSeconds").GetDouble());
            Assert.Equal(run.PredictMillisecondsP50, j.GetProperty("predictMillisecondsP50").GetDouble());
            Assert.Equal(run.PredictMillisecondsP95, j.GetProperty("predictMillisecondsP95").GetDouble());
            Assert.Equal(run.BatchImagesPerSecond, j.GetProperty("batchImagesPerSecond").GetDouble());
            Assert.Equal(run.ModelBytes, j.GetProperty("modelBytes").GetInt64());
            Assert.Equal(run.PeakWorkingSetBytes, j.GetProperty("peakWorkingSetBytes").GetInt64());
            var perClass = j.GetProperty("perClass").EnumerateArray().ToArray();
            Assert.Equal(4, perClass.Length);
            Assert.Equal(run.Metrics.PerClass[2].F1, perClass[2].GetProperty("f1").GetDouble());
            Assert.Equal(run.Metrics.PerClass[2].Support, perClass[2].GetProperty("support").GetInt32());
            var matrix = j.GetProperty("confusionMatrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
            Assert.Equal(run.Metrics.ConfusionMatrix, matrix);
        }

        Assert.Equal(0.5, results[0].GetProperty("accuracy").GetDouble());
        Assert.Equal(0.75, results[1].GetProperty("accuracy").GetDouble());

        var d = Assert.Single(root.GetProperty("disagreements").EnumerateArray());
        Assert.Equal("handcrafted", d.GetProperty("a").GetString());
        Assert.Equal("cnn", d.GetProperty("b").GetString());
        Assert.Equal(12, d.GetProperty("matched").GetInt32());
        Assert.Equal(BothCorrect, d.GetProperty("bothCorrect").GetInt32());
        Assert.Equal(BothWrong, d.GetProperty("bothWrong").GetInt32());
        Assert.Equal(OnlyHandCraftedCorrect, d.GetProperty("onlyACorrect").GetInt32());
        Assert.Equal(OnlyCnnCorrect, d.GetProperty("onlyBCorrect").GetInt32());

        Assert.Equal(["cnn"], root.GetProperty("best").GetProperty("accuracy").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(["handcrafted"], root.GetProperty("best").GetProperty("predictMillisecondsP50").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal("tradeOff", root.GetProperty("tradeOff").GetProperty("kind").GetString());
        Assert.Equal("cnn", root.GetProperty("tradeOff").GetProperty("moreAccurate").GetString());

        // The README snippet documents every key the writer emits.
        var snippet = File.ReadAllText(Path.Combine(RepoRoot(), "src", "Pipeline", "Reports", "README-report-json.md"));
        foreach (var key in AllKeys(root))
        {
            Assert.True(snippet.Contains($"`{key}`", StringComparison.Ordinal), $"README-report-json.md does not document `{key}`");
        }
    }

    [Fact]
    public void Json_writes_unmeasured_figures_as_null()
    {
        var result = Result(HandCraftedRun() with { TrainSeconds = double.NaN }, CnnRun());
        using var doc = JsonDocument.Parse(ReportJson.ToText(result));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("results")[0].GetProperty("trainSeconds").ValueKind);
    }

    [Fact]
    public void Better_value_marks_go_to_the_right_pipeline()
    {
        var rows = ReportAnalysis.Summary(Result()).ToDictionary(r => r.Key);
        const int hc = 0, cnn = 1;
        Assert.Equal([cnn], rows["accuracy"].Best);
        Assert.Equal([cnn], rows["macroF1"].Best);
        Assert.Equal([cnn], rows["macroAccuracy"].Best);
        Assert.Equal([cnn], rows["logLoss"].Best); // lower is better; the CNN is right more often
        Assert.Equal([hc], rows["featurizeImagesPerSecond"].Best); // higher is better
        Assert.Equal([hc], rows["trainSeconds"].Best); // lower is better
        Assert.Equal([hc], rows["predictMillisecondsP50"].Best);
        Assert.Equal([hc], rows["predictMillisecondsP95"].Best);
        Assert.Equal([hc], rows["batchImagesPerSecond"].Best);
        Assert.Equal([hc], rows["modelBytes"].Best);
        Assert.Equal([hc], rows["peakWorkingSetBytes"].Best);
        Assert.True(rows["logLoss"].Values[cnn] < rows["logLoss"].Values[hc]);

        // The rendered tables carry the mark in the right column.
        ComparisonReport.Write(Result(), folder, NoReportImages.Instance);
        var md = File.ReadAllLines(Path.Combine(folder, "report.md"));
        Assert.Matches(@"^\| Accuracy ↑ \| 0\.500 \| \*\*0\.750\*\* ✓ \|$", Assert.Single(md, l => l.StartsWith("| Accuracy ↑", StringComparison.Ordinal)));
        Assert.Matches(@"^\| Prediction latency p50 ↓ \| \*\*0\.120 ms\*\* ✓ \| 22\.0 ms \|$", Assert.Single(md, l => l.StartsWith("| Prediction latency p50", StringComparison.Ordinal)));
        var html = File.ReadAllText(Path.Combine(folder, "report.html"));
        Assert.Matches("<tr data-key=\"accuracy\"><td>Accuracy ↑</td><td>0.500</td><td class=\"best\">0.750 ✓</td></tr>", html);
        Assert.Matches("<tr data-key=\"modelBytes\"><td>Model file size ↓</td><td class=\"best\">2.00 MB ✓</td><td>60.0 MB</td></tr>", html);
    }

    [Fact]
    public void Ties_and_unmeasured_values_get_no_mark()
    {
        Assert.Empty(ReportAnalysis.BestOf([0.5, 0.5], higherIsBetter: true));
        Assert.Empty(ReportAnalysis.BestOf([0.5, double.NaN], higherIsBetter: true));
        Assert.Equal([0, 2], ReportAnalysis.BestOf([0.1, 0.3, 0.1], higherIsBetter: false));

        var rows = ReportAnalysis.Summary(Result(HandCraftedRun() with { ModelBytes = 0 }, CnnRun())).ToDictionary(r => r.Key);
        Assert.Empty(rows["modelBytes"].Best); // 0 = not measured
        Assert.True(double.IsNaN(rows["modelBytes"].Values[0]));
    }

    [Fact]
    public void Disagreements_are_matched_by_name_and_counted_both_ways()
    {
        var pair = Assert.Single(ReportAnalysis.Pairs(Result()));
        Assert.Equal((0, 1), (pair.A, pair.B));
        Assert.Equal(12, pair.Matched);
        Assert.Equal(BothCorrect, pair.BothCorrect);
        Assert.Equal(BothWrong, pair.BothWrong);
        Assert.Equal([Name(4)], pair.OnlyACorrect.Select(p => p.A.Name));
        // Only-CNN-right images, the hand-crafted pipeline's most confident mistake first (confidence rises with the index).
        Assert.Equal([Name(10), Name(7), Name(5), Name(2)], pair.OnlyBCorrect.Select(p => p.A.Name));
        Assert.All(pair.OnlyBCorrect, p => Assert.Equal(p.A.Name, p.B.Name));
        Assert.All(pair.OnlyBCorrect, p => Assert.True(p.B.Correct && !p.A.Correct));

        // The CNN is B even when it ran first.
        var swapped = Assert.Single(ReportAnalysis.Pairs(Result(CnnRun(), HandCraftedRun())));
        Assert.Equal((1, 0), (swapped.A, swapped.B));
        Assert.Equal(OnlyCnnCorrect, swapped.OnlyBCorrect.Count);

        // Per-class F1 differences are sorted, CNN wins first.
        var diffs = pair.ClassDifferences.Select(d => d.Difference).ToArray();
        Assert.Equal(diffs.OrderDescending(), diffs);
        Assert.Equal(4, diffs.Length);

        ComparisonReport.Write(Result(), folder, new FakeReportImages());
        var md = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Contains("both right 5, both wrong 2, only handcrafted right 1, only cnn right 4.", md, StringComparison.Ordinal);
        Assert.Contains("### cnn right, handcrafted wrong (4)", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Mistake_gallery_lists_most_confident_mistakes_first()
    {
        var mistakes = ReportAnalysis.Mistakes(Result().Results[1]);
        Assert.Equal([Name(11), Name(8), Name(4)], mistakes.Select(m => m.Name));
    }

    [Fact]
    public void Trade_off_sentence_names_the_more_accurate_but_slower_pipeline()
    {
        var t = ReportAnalysis.TradeOff(Result());
        Assert.Equal(TradeOffKind.TradeOff, t.Kind);
        Assert.Equal(1, t.MoreAccurate);
        Assert.Equal(0, t.Faster);
        Assert.Null(t.Recommended);
        Assert.Equal(
            "The CNN is 25.0 points more accurate (0.75 vs 0.50; not a significant difference at 12 test images, McNemar p = 0.375) but predicts 183x slower (22.0 ms vs 0.120 ms per image) and its model is 60.0 MB vs 2.00 MB: choose the CNN when accuracy matters more than latency, otherwise the hand-crafted pipeline.",
            t.Sentence);
        ComparisonReport.Write(Result(), folder, NoReportImages.Instance);
        Assert.Contains(t.Sentence, File.ReadAllText(Path.Combine(folder, "report.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Trade_off_when_one_pipeline_is_better_on_both()
    {
        // The CNN more accurate and faster.
        var t = ReportAnalysis.TradeOff(Result(HandCraftedRun(p50: 5), CnnRun(p50: 1)));
        Assert.Equal(TradeOffKind.Dominates, t.Kind);
        Assert.Equal(1, t.Recommended);
        Assert.StartsWith("The CNN is 25.0 points more accurate (0.75 vs 0.50; not a significant difference at 12 test images, McNemar p = 0.375) and predicts 5.0x faster", t.Sentence, StringComparison.Ordinal);
        Assert.EndsWith("choose the CNN.", t.Sentence, StringComparison.Ordinal);

        // The hand-crafted pipeline more accurate and faster (swap the predictions).
        var better = Result(HandCraftedRun(Metrics(CnnPredicted, 0.6f)), CnnRun(Metrics(HandCraftedPredicted, 0.6f)));
        var u = ReportAnalysis.TradeOff(better);
        Assert.Equal(TradeOffKind.Dominates, u.Kind);
        Assert.Equal(0, u.Recommended);
        Assert.StartsWith("The hand-crafted pipeline is 25.0 points more accurate", u.Sentence, StringComparison.Ordinal);
        Assert.EndsWith("choose the hand-crafted pipeline.", u.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void Trade_off_within_half_a_point_is_a_tie_won_by_the_cheaper_pipeline()
    {
        var same = Metrics(HandCraftedPredicted, 0.55f);
        var t = ReportAnalysis.TradeOff(Result(HandCraftedRun(same), CnnRun(same)));
        Assert.Equal(TradeOffKind.Tie, t.Kind);
        Assert.Equal(0, t.Recommended);
        Assert.Null(t.MoreAccurate);
        Assert.Contains("are equally accurate (0.50 vs 0.50, within 0.5 point)", t.Sentence, StringComparison.Ordinal);
        Assert.EndsWith("choose the hand-crafted pipeline.", t.Sentence, StringComparison.Ordinal);

        // Same accuracy, same speed: the smaller model wins.
        var s = ReportAnalysis.TradeOff(Result(HandCraftedRun(same, p50: 1, modelBytes: 9_000_000), CnnRun(same, p50: 1, modelBytes: 3_000_000)));
        Assert.Equal(TradeOffKind.Tie, s.Kind);
        Assert.Equal(1, s.Recommended);
        Assert.Contains("the CNN has the smaller model (3.00 MB vs 9.00 MB)", s.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void Trade_off_with_a_single_pipeline()
    {
        var result = Result(CnnRun());
        var t = ReportAnalysis.TradeOff(result);
        Assert.Equal(TradeOffKind.SinglePipeline, t.Kind);
        Assert.StartsWith("Only the CNN ran (0.75 accuracy, 22.0 ms per image, a 60.0 MB model)", t.Sentence, StringComparison.Ordinal);

        // The whole report still writes: no pairs, no marks.
        ComparisonReport.Write(result, folder, new FakeReportImages());
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "report.json")));
        Assert.Equal(0, doc.RootElement.GetProperty("disagreements").GetArrayLength());
        Assert.DoesNotContain("✓ |", File.ReadAllText(Path.Combine(folder, "report.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Html_is_self_contained()
    {
        ComparisonReport.Write(Result(), folder, new FakeReportImages());
        var html = File.ReadAllText(Path.Combine(folder, "report.html"));
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("(?i)https?://", html);
        Assert.DoesNotMatch("(?i)<script|<link|<iframe|@import|url\\(", html);
        var sources = ImgSrc().Matches(html).Select(m => m.Groups[1].Value).ToArray();
        var tags = Regex.Matches(html, "<img\\b").Count;
        Assert.Equal(tags, sources.Length);
        Assert.True(sources.Length >= 2 + 2 + 2 + 10, $"only {sources.Length} images");
        Assert.All(sources, s => Assert.StartsWith("data:image/png;base64,", s, StringComparison.Ordinal));
        Assert.All(sources, s => Assert.True(IsPng(Convert.FromBase64String(s["data:image/png;base64,".Length..]))));
        Assert.Contains("<meta charset=\"utf-8\">", html, StringComparison.Ordinal);
        Assert.Contains("no picture", html, StringComparison.Ordinal); // test/fish_11.png has no thumbnail
    }

    [Fact]
    public void Html_escapes_names()
    {
        var result = Result() with { Dataset = Result().Dataset with { Name = "<b>x</b> & y" }, Machine = "\"m\" <1>" };
        ComparisonReport.Write(result, folder, NoReportImages.Instance);
        var html = File.ReadAllText(Path.Combine(folder, "report.html"));
        Assert.DoesNotContain("<b>x</b>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;x&lt;/b&gt; &amp; y", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Results_table_is_compact_and_names_command_and_machine()
    {
        var table = ResultsTable.Markdown(Result());
        var lines = table.Split('\n');
        Assert.Equal("| Pipeline | Trainer | Accuracy | Accuracy 95% CI | Macro F1 | Macro F1 95% CI | Log-loss | Featurize img/s | Train s | p50 ms | Model MB |", lines[0]);
        Assert.StartsWith("| handcrafted | LbfgsMaximumEntropy | 0.500 | [0.254, 0.746] |", lines[2], StringComparison.Ordinal); // Wilson, 6 of 12
        Assert.EndsWith("| 850 | 2.5 | 0.120 | 2.00 |", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("| cnn | LbfgsMaximumEntropy | 0.750 |", lines[3], StringComparison.Ordinal);
        Assert.EndsWith("| 41.0 | 9.8 | 22.0 | 60.0 |", lines[3], StringComparison.Ordinal);
        Assert.Contains("`pipeline compare --data /data/pets-mini --out out/report --seed 7`", table, StringComparison.Ordinal);
        Assert.Contains("2 cores, 7.8 GB, Linux 6.1, .NET 10.0.0", table, StringComparison.Ordinal);
    }

    [Fact]
    public void Whole_run_cost_is_reported_when_measured_and_left_out_when_not()
    {
        var measured = Result() with { RunSeconds = 302.4, PeakWorkingSetBytes = 1_468_000_000 };
        var line = "Whole comparison: 5 min 02 s wall time";
        Assert.Contains(line, ResultsTable.Markdown(measured), StringComparison.Ordinal);
        Assert.Contains("peak working set 1,468 MB", ResultsTable.Markdown(measured), StringComparison.Ordinal);
        Assert.DoesNotContain("Whole comparison", ResultsTable.Markdown(Result()), StringComparison.Ordinal);

        using var json = JsonDocument.Parse(ReportJson.ToText(measured));
        Assert.Equal(302.4, json.RootElement.GetProperty("runSeconds").GetDouble());
        Assert.Equal(1_468_000_000, json.RootElement.GetProperty("peakWorkingSetBytes").GetInt64());
        using var unmeasured = JsonDocument.Parse(ReportJson.ToText(Result()));
        Assert.Equal(JsonValueKind.Null, unmeasured.RootElement.GetProperty("runSeconds").ValueKind);
        Assert.Equal(JsonValueKind.Null, unmeasured.RootElement.GetProperty("peakWorkingSetBytes").ValueKind);
    }

    [Theory]
    [InlineData(41.66, "41.7 s")]
    [InlineData(60, "1 min 00 s")]
    [InlineData(1379.6, "23 min 00 s")]
    [InlineData(3725, "1 h 02 min")]
    [InlineData(double.NaN, "–")]
    public void Durations_read_as_minutes_past_a_minute(double seconds, string expected) => Assert.Equal(expected, Figures.Duration(seconds));

    internal static bool IsPng(byte[] bytes) => bytes.Length > 8 && bytes[0] == 0x89 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G';

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    private static IEnumerable<string> AllKeys(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().SelectMany(p => (p.Name.All(char.IsDigit) || p.Name.Contains('.', StringComparison.Ordinal) ? [] : new[] { p.Name }).Concat(AllKeys(p.Value))),
        JsonValueKind.Array => e.EnumerateArray().SelectMany(AllKeys),
        _ => [],
    };

    [GeneratedRegex(@"!\[[^\]]*\]\(([^)]+)\)")]
    private static partial Regex MarkdownImage();

    [GeneratedRegex("<img\\b[^>]*\\bsrc=\"([^\"]*)\"")]
    private static partial Regex ImgSrc();
}

public sealed class ComparisonReportEdgeCaseTests : IDisposable
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
    public void Three_pipelines_many_classes_and_awkward_names()
    {
        // 12 classes with markdown/HTML-hostile names; two hand-crafted runs (different trainers) and a CNN.
        string[] classes = [.. Enumerable.Range(0, 12).Select(i => i == 3 ? "a|b <c> & *d*" : $"class {i}")];
        var random = new Random(3);
        var labels = Enumerable.Range(0, 60).Select(i => i % 12).ToArray();
        var names = labels.Select((l, i) => $"dir with space/{i}_{l}.jpg").ToArray();
        global::ImageWorkbench.Pipeline.Evaluation.ClassificationMetrics Scores(double skill) => global::ImageWorkbench.Pipeline.Evaluation.ClassificationMetrics.Compute(classes, labels, [.. labels.Select(l =>
        {
            var s = Enumerable.Range(0, 12).Select(_ => (float)random.NextDouble()).ToArray();
            if (random.NextDouble() < skill)
            {
                s[l] += 2;
            }

            var sum = s.Sum();
            return s.Select(v => v / sum).ToArray();
        })], names);

        var result = new ComparisonResult(
            new DatasetSummary("many", "/x", classes, 240, 60),
            [
                HandCraftedRun(Scores(0.4)),
                HandCraftedRun(Scores(0.5)) with { Trainer = "LightGbm" },
                CnnRun(Scores(0.9)),
            ],
            "pipeline compare",
            "test machine",
            DateTimeOffset.UnixEpoch,
            1);

        Assert.Equal(["handcrafted (LbfgsMaximumEntropy)", "handcrafted (LightGbm)", "cnn"], ReportAnalysis.Labels(result));
        var pairs = ReportAnalysis.Pairs(result);
        Assert.Equal(3, pairs.Count);
        Assert.All(pairs.Where(p => p.A == 2 || p.B == 2), p => Assert.Equal(2, p.B)); // the CNN is always B
        Assert.All(pairs, p => Assert.Equal(60, p.Matched));
        Assert.All(pairs, p => Assert.Equal(60, p.BothCorrect + p.BothWrong + p.OnlyACorrect.Count + p.OnlyBCorrect.Count));

        var trade = ReportAnalysis.TradeOff(result);
        Assert.Equal(2, trade.MoreAccurate);

        ComparisonReport.Write(result, folder, new FakeReportImages());
        var md = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Contains(@"a\|b \<c\> & \*d\*", md, StringComparison.Ordinal);
        var html = File.ReadAllText(Path.Combine(folder, "report.html"));
        Assert.Contains("a|b &lt;c&gt; &amp; *d*", html, StringComparison.Ordinal);
        Assert.Contains("showing 16, most confident mistakes first", html, StringComparison.Ordinal);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "report.json")));
        Assert.Equal(3, doc.RootElement.GetProperty("disagreements").GetArrayLength());
        Assert.True(doc.RootElement.GetProperty("results")[2].GetProperty("topK").TryGetProperty("5", out _)); // 12 classes: top-5 is reported
    }

    [Fact]
    public void Empty_result_still_writes_a_report()
    {
        var result = Result() with { Results = [] };
        ComparisonReport.Write(result, folder, NoReportImages.Instance);
        Assert.Equal(TradeOffKind.None, ReportAnalysis.TradeOff(result).Kind);
        Assert.True(File.Exists(Path.Combine(folder, "report.html")));
        Assert.False(Directory.Exists(Path.Combine(folder, "images")));
    }
}
