using System.Diagnostics;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Features;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Pipelines.HandCrafted;
using ImageWorkbench.Pipeline.Tests.Data;
using ImageWorkbench.Pipeline.Tests.Hostile;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;
using ImageWorkbench.Runtime.Cnn;
using Xunit.Abstractions;
using CliRunner = ImageWorkbench.Pipeline.Tests.Hostile.Cli;

namespace ImageWorkbench.Pipeline.Tests.Features;

/// <summary>
/// <c>pipeline featurize --shard i/N</c> and <c>train --features</c>: N shard processes give the same features as one,
/// training from them gives the same model as a direct run, a complete shard is kept, a killed run's temp file is
/// never read, and shards of another featurizer are refused naming the file.
/// </summary>
[Collection("Console")]
public class FeatureShardTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    private static DatasetOptions Subset(int train, int test) => new() { MaxTrainPerClass = train, MaxTestPerClass = test };

    private static ImageDataset Embedded(DatasetOptions options) => DatasetLoader.Load(EmbeddedDataset.Locate(), options, new DataWarnings());

    private static TrainingOptions Options(IPipelineWing wing, string? featureSet = null) => new()
    {
        Pipeline = wing,
        Trainer = TrainerKind.Lbfgs,
        MaxIterations = 20,
        UseFeatureCache = false,
        PipelineOptions = [new HandCraftedPipelineOptions { FeatureSet = featureSet }],
    };

    private static ShardOutcome Shard(ImageDataset data, DatasetOptions options, TrainingOptions training, ShardSpec shard, string folder) =>
        ShardFeaturization.Run(data, options, training, shard, folder, new DataWarnings(), null, CancellationToken.None);

    /// <summary>Every row of a feature folder, in split order, as comparable text (the features' exact bits included).</summary>
    private static List<string> Rows(string folder)
    {
        var store = FeatureStore.Open(folder);
        var rows = new List<string>();
        foreach (var file in store.Files)
        {
            FeatureShardFile.ReadRows(file, store.Header, r =>
            {
                var length = r.Features.Length / r.Count;
                for (var i = 0; i < r.Count; i++)
                {
                    var bits = Convert.ToHexString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(r.Features.AsSpan(i * length, length)));
                    rows.Add($"{r.Splits[i]}/{r.Indices[i]:D6} {r.Hashes[i]} {r.Paths[i]} {r.Labels[i]} {bits}");
                }
            }, CancellationToken.None);
        }

        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    [Theory]
    [InlineData("fashion-mnist-mini", 300)]
    [InlineData("caltech101-mini", 180)]
    public async Task Four_shard_processes_store_exactly_the_features_of_one_run_and_train_the_same_model(string set, int rows)
    {
        using var dir = new TempDir();
        var location = EmbeddedDataset.Locate(set); // the same folder for every process: a shard row names its image's path
        string[] Args(string shard, string folder) => ["featurize", "--pipeline", "handcrafted", "--data", location, "--max-train-per-class", "20", "--max-test-per-class", "10", "--shard", shard, "--out", dir.PathOf(folder)];
        var stopwatch = Stopwatch.StartNew();
        // Four processes at once (each costs seconds to start on a 2-core machine), against one in-process run.
        var runs = new[] { "0/4", "1/4", "2/4", "3/4" }.Select(s => Task.Run(() => ChildCli.Run(Limit, Args(s, "four")))).ToArray();
        var data = DatasetLoader.Load(location, Subset(20, 10), new DataWarnings());
        Shard(data, Subset(20, 10), Options(new HandCraftedPipeline()), new ShardSpec(0, 1), dir.PathOf("one"));
        var results = await Task.WhenAll(runs);
        log.WriteLine($"{set}: 4 featurize processes + 1 in-process run (loaded machine): {stopwatch.Elapsed.TotalSeconds:F1} s");
        foreach (var (code, _, err) in results)
        {
            Assert.True(code == 0, err);
        }

        Assert.Equal(4, Directory.GetFiles(dir.PathOf("four"), "shard-*.parquet").Length);
        var one = Rows(dir.PathOf("one"));
        Assert.Equal(rows, one.Count);
        Assert.Equal(one, Rows(dir.PathOf("four"))); // the features' exact bits, path, hash, label and split of every image

        // Training from the stored features: the same head as a direct run with the same seed (same machine: same figures).
        var direct = ModelTrainer.Train(new MLContext(42), data, Options(new HandCraftedPipeline()), new DataWarnings());
        var stored = FeatureTraining.Train(new MLContext(42), FeatureStore.Open(dir.PathOf("four")), Options(new HandCraftedPipeline()), new DataWarnings(), null, CancellationToken.None);
        Assert.Equal(direct.Metadata.Training.TrainCount, stored.Metadata.Training.TrainCount);
        Assert.Equal(direct.Test!.Accuracy, stored.Test!.Accuracy, 6);
        Assert.Equal(direct.Test.LogLoss, stored.Test.LogLoss, 4);
        Assert.Equal(direct.Metadata.FeatureSet, stored.Metadata.FeatureSet);
    }

    [Fact]
    public void A_package_trained_from_cnn_shards_predicts_from_images_as_its_head_did_on_the_stored_features()
    {
        using var dir = new TempDir();
        var options = Subset(3, 1);
        var data = Embedded(options);
        var cnn = Options(new CnnPipeline());
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < 2; i++)
        {
            Shard(data, options, cnn, new ShardSpec(i, 2), dir.Root);
        }

        log.WriteLine($"CNN featurize, 2 shards of {data.Train.Count + data.Test.Count} images in process (loaded): {stopwatch.Elapsed.TotalSeconds:F1} s");
        var model = dir.PathOf("from-features.zip");
        var stored = FeatureTraining.TrainAndSave(FeatureStore.Open(dir.Root), cnn, model, new DataWarnings(), null, CancellationToken.None);
        Assert.Equal(ResNet18Model.NetworkSha256, stored.Metadata.Extra["networkSha256"]);

        // The package holds the featurizer: it classifies the test images from their pixels as the head did on stored features.
        using var classifier = ImageClassifier.Load(model);
        var fromImages = data.Test.Select(t => classifier.Predict(t.Source).Label).ToList();
        var agree = fromImages.Zip(data.Test, (p, t) => p == data.Classes[t.Label]).Count(x => x) / (double)data.Test.Count;
        Assert.Equal(stored.Test!.Accuracy, agree, 6);
    }

    [Fact]
    public void A_complete_shard_is_kept_and_a_killed_runs_temp_file_is_never_read()
    {
        using var dir = new TempDir();
        var options = Subset(10, 5);
        var data = Embedded(options);
        var wing = Options(new HandCraftedPipeline());
        var first = Shard(data, options, wing, new ShardSpec(0, 2), dir.Root);
        Assert.False(first.AlreadyComplete);
        var written = File.GetLastWriteTimeUtc(first.Path);
        var bytes = File.ReadAllBytes(first.Path);

        // A run of shard 1 killed half-way: only its temp file, half written.
        var temp = dir.PathOf(".shard-00001-of-00002.parquet.999999.0123456789abcdef0123456789abcdef.tmp");
        File.WriteAllBytes(temp, bytes[..(bytes.Length / 2)]);
        var missing = Assert.Throws<WorkbenchException>(() => FeatureStore.Open(dir.Root));
        Assert.Contains("1/2", missing.Message, StringComparison.Ordinal);

        var again = Shard(data, options, wing, new ShardSpec(0, 2), dir.Root);
        Assert.True(again.AlreadyComplete);
        Assert.Equal(written, File.GetLastWriteTimeUtc(first.Path));
        Shard(data, options, wing, new ShardSpec(1, 2), dir.Root);
        Assert.Equal(150, Rows(dir.Root).Count);

        // A truncated shard file is refused by name, and featurizing it again replaces it.
        File.WriteAllBytes(first.Path, bytes[..(bytes.Length / 2)]);
        var truncated = Assert.Throws<WorkbenchException>(() => FeatureStore.Open(dir.Root));
        Assert.Contains("shard-00000-of-00002.parquet", truncated.Message, StringComparison.Ordinal);
        var redone = Shard(data, options, wing, new ShardSpec(0, 2), dir.Root);
        Assert.False(redone.AlreadyComplete);
        Assert.Equal(bytes, File.ReadAllBytes(first.Path)); // no time stamp inside: the same shard is the same file
    }

    [Fact]
    public void A_shard_process_killed_mid_write_leaves_no_shard_and_the_rerun_completes_the_set()
    {
        using var dir = new TempDir();
        var (killed, err) = ChildCli.KillAfter("featurizing shard", TimeSpan.FromMilliseconds(100), Limit, "featurize", "--pipeline", "handcrafted", "--shard", "0/2", "--out", dir.Root);
        log.WriteLine(killed ? "killed while featurizing" : "the process ended before the kill");
        var shard0 = dir.PathOf(new ShardSpec(0, 2).FileName);
        if (killed)
        {
            Assert.False(File.Exists(shard0), err); // only a temp file can be left
        }
        else
        {
            FeatureShardFile.ReadHeader(shard0); // complete
        }

        var options = new DatasetOptions();
        var data = Embedded(options);
        var wing = Options(new HandCraftedPipeline());
        Assert.Equal(!killed, Shard(data, options, wing, new ShardSpec(0, 2), dir.Root).AlreadyComplete);
        Shard(data, options, wing, new ShardSpec(1, 2), dir.Root);
        Assert.Equal(data.Train.Count + data.Test.Count, Rows(dir.Root).Count);
        CliRunner.AssertNoTempFiles(dir.Root);
    }

    [Fact]
    public void Shards_of_another_featurizer_are_refused_naming_the_odd_file()
    {
        using var dir = new TempDir();
        var options = Subset(5, 2);
        var data = Embedded(options);
        Shard(data, options, Options(new HandCraftedPipeline(), "grey28-v1"), new ShardSpec(0, 2), dir.Root);

        // Featurizing another featurizer's shard into the same folder fails before any work, naming a shard there.
        var into = Assert.Throws<WorkbenchException>(() => Shard(data, options, Options(new HandCraftedPipeline(), "rgb64-v1"), new ShardSpec(1, 2), dir.Root));
        Assert.Contains("shard-00000-of-00002.parquet", into.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.PathOf("shard-00001-of-00002.parquet")));

        // Shards gathered by hand from two runs with different options: refused naming the odd file.
        Shard(data, options, Options(new HandCraftedPipeline(), "rgb64-v1"), new ShardSpec(1, 2), dir.PathOf("other"));
        File.Copy(dir.PathOf("other/shard-00001-of-00002.parquet"), dir.PathOf("shard-00001-of-00002.parquet"));
        var mixed = Assert.Throws<WorkbenchException>(() => FeatureStore.Open(dir.Root));
        Assert.Contains("shard-00001-of-00002.parquet", mixed.Message, StringComparison.Ordinal);
        Assert.Contains("another featurizer", mixed.Message, StringComparison.Ordinal);

        // Featurizing over a shard of another featurizer fails instead of mixing or overwriting.
        var over = Assert.Throws<WorkbenchException>(() => Shard(data, options, Options(new HandCraftedPipeline(), "grey28-v1"), new ShardSpec(1, 2), dir.Root));
        Assert.Contains("shard-00001-of-00002.parquet", over.Message, StringComparison.Ordinal);

        // The CLI says it in one error line naming the file.
        CliRunner.Run("train", "--features", dir.Root, "--out", dir.PathOf("m.zip")).AssertOneErrorNaming("shard-00001-of-00002.parquet");
    }

    [Fact]
    public void Shard_assignment_is_by_content_hash_and_shard_options_are_checked()
    {
        var hash = new byte[32];
        hash[7] = 5;
        Assert.Equal(5 % 3, ShardSpec.Of(hash, 3));
        Assert.Equal("shard-00002-of-00010.parquet", new ShardSpec(2, 10).FileName);
        foreach (var bad in new[] { "4/4", "-1/2", "1", "a/b", "1/0", "1/2/3" })
        {
            Assert.Null(ShardSpec.TryParse(bad, out _));
        }

        var usage = CliRunner.Run("featurize", "--shard", "4/4", "--out", Path.GetTempPath());
        Assert.Equal(2, usage.ExitCode);
        var seed = CliRunner.Run("train", "--features", Path.GetTempPath(), "--seed", "3");
        Assert.Equal(2, seed.ExitCode);
    }

    [Fact]
    public void Device_cuda_on_the_cpu_build_fails_before_any_work_with_one_line()
    {
        Assert.Equal("cuda:1", CnnDevice.TryParse("CUDA:1", out _)!.ToString());
        Assert.Equal(CnnDevice.Cpu, CnnDevice.TryParse("cpu", out _));
        Assert.Null(CnnDevice.TryParse("gpu", out _));
        if (File.Exists(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libonnxruntime_providers_cuda.so")))
        {
            return; // a GPU build (-p:WorkbenchGpu=true): whether it runs depends on the machine's GPU
        }

        using var dir = new TempDir();
        var result = CliRunner.Run("featurize", "--pipeline", "cnn", "--device", "cuda", "--max-train-per-class", "1", "--max-test-per-class", "1", "--out", dir.PathOf("f"));
        Assert.True(result.ExitCode == 1, result.ToString());
        var error = Assert.Single(result.Errors);
        Assert.Contains("--device cuda:0", error, StringComparison.Ordinal);
        Assert.Contains("CPU only", error, StringComparison.Ordinal);
        result.AssertNoStackTrace();
        Assert.False(Directory.Exists(dir.PathOf("f")) && Directory.EnumerateFileSystemEntries(dir.PathOf("f")).Any());
    }
}
