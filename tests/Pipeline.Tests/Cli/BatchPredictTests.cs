using System.Text.Json.Nodes;
using ImageWorkbench.Pipeline.Predicting;
using ImageWorkbench.Pipeline.Tests.Hostile;
using ImageWorkbench.Runtime.Models;
using CliRunner = ImageWorkbench.Pipeline.Tests.Hostile.Cli;

namespace ImageWorkbench.Pipeline.Tests.Cli;

/// <summary><c>predict</c> over folders, globs and manifests, streamed into CSV / JSON Lines; and the batch API under it.</summary>
[Collection("Console")]
public sealed class BatchPredictTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("batch-predict-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A copy of the tiny data set's images, one of them a level deeper, plus one file that is no image.</summary>
    private (string Images, string[] Expected, string Bad) MakeFolder()
    {
        var images = Path.Combine(_folder, "images");
        foreach (var file in Directory.EnumerateFiles(tiny.Data, "*.png", SearchOption.AllDirectories))
        {
            var target = Path.Combine(images, Path.GetRelativePath(tiny.Data, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var deeper = Path.Combine(images, "a", "deeper", "0.png");
        Directory.CreateDirectory(Path.GetDirectoryName(deeper)!);
        File.Copy(Path.Combine(images, "a", "0.png"), deeper);
        var bad = Path.Combine(images, "b", "7-bad.png");
        File.WriteAllBytes(bad, [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        File.WriteAllText(Path.Combine(images, "notes.md"), "not an image: not listed");
        var expected = ImageInputs.Expand([images]).ToArray();
        return (images, expected, bad);
    }

    [Fact]
    public void A_folder_streams_one_csv_row_per_image_in_order_with_the_bad_file_as_an_error_row()
    {
        var (images, expected, bad) = MakeFolder();
        Assert.Equal(18, expected.Length); // 16 + the deeper copy + the bad file; notes.md is not an image
        Assert.Contains(Path.Combine(images, "a", "deeper", "0.png"), expected);
        var csv = Path.Combine(_folder, "preds.csv");

        var run = CliRunner.Run("predict", "--model", tiny.ModelPath, images, "--out", csv, "--top-k", "2", "--max-bad-fraction", "0.1");
        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = File.ReadAllLines(csv);
        Assert.Equal("path,label,confidence,label_1,score_1,label_2,score_2,out_of_distribution,error", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(expected, rows.Select(r => r[0]));
        var badRow = Assert.Single(rows, r => r[^1].Length > 0);
        Assert.Equal(bad, badRow[0]);
        Assert.Equal(string.Empty, badRow[1]);
        foreach (var row in rows.Where(r => r[^1].Length == 0))
        {
            Assert.Contains(row[1], new[] { "a", "b" });
            Assert.Equal(row[1], row[3]);
            Assert.InRange(double.Parse(row[2], System.Globalization.CultureInfo.InvariantCulture), 0.5, 1.0);
        }

        Assert.Contains("1 could not be predicted", run.Out, StringComparison.Ordinal);
        CliRunner.AssertNoTempFiles(_folder);
    }

    [Fact]
    public void Too_many_bad_files_exit_1_but_the_rows_are_still_written()
    {
        var (images, expected, _) = MakeFolder();
        var csv = Path.Combine(_folder, "preds.csv");
        var run = CliRunner.Run("predict", "--model", tiny.ModelPath, images, "--out", csv, "--max-bad-fraction", "0.01");
        Assert.True(run.ExitCode == 1, run.ToString());
        var error = Assert.Single(run.Errors);
        Assert.Contains("1 of 18 images", error, StringComparison.Ordinal);
        Assert.Equal(expected.Length + 1, File.ReadAllLines(csv).Length);
    }

    [Fact]
    public void Globs_manifests_and_jsonl_give_the_same_rows_and_min_confidence_answers_unknown()
    {
        var (images, expected, _) = MakeFolder();
        var manifest = Path.Combine(_folder, "list.txt");
        File.WriteAllLines(manifest, ["# the a images", .. expected.Where(e => e.Contains($"{Path.DirectorySeparatorChar}a{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).Select(e => Path.GetRelativePath(_folder, e)), string.Empty]);
        var jsonl = Path.Combine(_folder, "preds.jsonl");

        var run = CliRunner.Run("predict", "--model", tiny.ModelPath, manifest, Path.Combine(images, "b", "*.png"), "--out", jsonl, "--max-bad-fraction", "1", "--min-confidence", "1");
        Assert.True(run.ExitCode == 0, run.ToString());
        var rows = File.ReadAllLines(jsonl).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
        Assert.Equal(expected.Length, rows.Length); // the a images from the manifest, the b images from the glob
        Assert.Equal(expected.Order(StringComparer.Ordinal), rows.Select(r => Path.GetFullPath((string)r["path"]!)).Order(StringComparer.Ordinal));
        Assert.All(rows.Where(r => r["error"] is null && (double)r["confidence"]! < 1), r => Assert.Equal(PredictionRows.Unknown, (string)r["label"]!));
        Assert.Contains("answered 'unknown'", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cancelled_run_leaves_the_old_file_and_no_temp_file()
    {
        var (images, _, _) = MakeFolder();
        var csv = Path.Combine(_folder, "preds.csv");
        File.WriteAllText(csv, "old\n");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var code = ImageWorkbench.Pipeline.Cli.Program.Run(["predict", "--model", tiny.ModelPath, images, "--out", csv], TextWriter.Null, cancelled.Token);
        Assert.NotEqual(0, code);
        Assert.Equal("old\n", File.ReadAllText(csv));
        CliRunner.AssertNoTempFiles(_folder);
    }

    [Fact]
    public void PredictMany_keeps_order_across_the_window_reports_progress_and_isolates_bad_items()
    {
        using var classifier = ImageClassifier.Load(tiny.ModelPath);
        var good = File.ReadAllBytes(tiny.Image);
        var count = ImageClassifier.BatchWindow + ImageClassifier.BatchChunkSize + 44;
        var items = Enumerable.Range(0, count).Select(i => new KeyValuePair<string, ReadOnlyMemory<byte>>($"img{i}", i % 50 == 7 ? new byte[] { 1, 2, 3 } : good));
        var reports = new List<BatchProgress>();
        var progress = new SyncProgress(reports);

        var results = classifier.PredictMany(items, progress).ToList();
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"img{i}"), results.Select(r => r.Name));
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), results.Select(r => r.Index));
        Assert.All(results, r => Assert.True(r.Succeeded == (r.Index % 50 != 7)));
        var expected = classifier.Predict(good).Label;
        Assert.All(results.Where(r => r.Succeeded), r => Assert.Equal(expected, r.Prediction!.Label));
        Assert.Equal(new BatchProgress(count, results.Count(r => !r.Succeeded)), reports[^1]);
        Assert.Equal((count / ImageClassifier.BatchChunkSize) + 1, reports.Count);
        Assert.Equal(reports.Select(r => r.Done).Order(), reports.Select(r => r.Done));

        // An endless lazy input: the caller takes ten and stops; the workers end and nothing runs on unbounded.
        var endless = Enumerable.Range(0, int.MaxValue).Select(i => new KeyValuePair<string, ReadOnlyMemory<byte>>($"e{i}", good));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"e{i}"), classifier.PredictMany(endless).Take(10).Select(r => r.Name));

        using var stream = new MemoryStream(good);
        Assert.True(classifier.PredictMany([new KeyValuePair<string, Stream>("s", stream)]).Single().Succeeded);
    }

    /// <summary>
    /// The caller is woken for runs of results, not for each one; a batch fed one item at a time (the next item exists
    /// only once the previous result was taken, as uploads arriving one by one) must still hand each result over on
    /// its own, promptly, not wait for a run that can never come.
    /// </summary>
    [Fact]
    public void A_batch_fed_one_item_at_a_time_hands_over_each_result_before_the_next_item_exists()
    {
        using var classifier = ImageClassifier.Load(tiny.ModelPath);
        var good = File.ReadAllBytes(tiny.Image);
        using var taken = new SemaphoreSlim(0);
        IEnumerable<KeyValuePair<string, ReadOnlyMemory<byte>>> Trickle()
        {
            for (var i = 0; i < 40; i++)
            {
                if (i > 0)
                {
                    Assert.True(taken.Wait(TimeSpan.FromSeconds(10)), $"result {i - 1} was not handed over before item {i} was needed");
                }

                yield return new($"t{i}", good);
            }
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var names = new List<string>();
        foreach (var result in classifier.PredictMany(Trickle()))
        {
            names.Add(result.Name);
            taken.Release();
        }

        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"t{i}"), names);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"40 trickled images took {clock.Elapsed}");
    }

    private sealed class SyncProgress(List<BatchProgress> reports) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => reports.Add(value);
    }
}
