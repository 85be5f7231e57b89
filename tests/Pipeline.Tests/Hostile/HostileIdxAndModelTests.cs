using System.IO.Compression;
using System.Text;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>A tiny two-class folder data set and a hand-crafted model trained on it through the CLI.</summary>
public sealed class TinyModelFixture : IDisposable
{
    public TinyModelFixture()
    {
        Folder = Directory.CreateTempSubdirectory("hostile-model-").FullName;
        Data = Path.Combine(Folder, "data");
        foreach (var (cls, name) in new[] { (0, "a"), (1, "b") })
        {
            var dir = Directory.CreateDirectory(Path.Combine(Data, name)).FullName;
            for (var i = 0; i < 8; i++)
            {
                File.WriteAllBytes(Path.Combine(dir, $"{i}.png"), HostileFiles.Picture(32, 32, cls, (cls * 100) + i));
            }
        }

        Image = Path.Combine(Data, "a", "0.png");
        ModelPath = Path.Combine(Folder, "good.zip");
        Train = Cli.Run("train", "--pipeline", "handcrafted", "--data", Data, "--out", ModelPath);
    }

    public string Folder { get; }

    public string Data { get; }

    public string Image { get; }

    public string ModelPath { get; }

    internal CliResult Train { get; }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

[Collection("Console")]
public sealed class HostileModelTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    private string Copy(string name, Func<byte[], byte[]> change)
    {
        var path = Path.Combine(tiny.Folder, name);
        File.WriteAllBytes(path, change(File.ReadAllBytes(tiny.ModelPath)));
        return path;
    }

    private void AssertBothCommandsRefuse(string model)
    {
        var predict = Cli.Run("predict", "--model", model, tiny.Image);
        predict.AssertOneErrorNaming(model);
        Assert.Equal(string.Empty, predict.Out);
        var json = Path.Combine(tiny.Folder, "eval.json");
        var evaluate = Cli.Run("evaluate", "--model", model, "--data", tiny.Data, "--json", json);
        evaluate.AssertOneErrorNaming(model);
        Assert.False(File.Exists(json));
        Cli.AssertNoTempFiles(tiny.Folder);
    }

    [Fact]
    public void The_good_model_predicts_and_evaluates()
    {
        Assert.True(tiny.Train.ExitCode == 0, tiny.Train.ToString());
        var predict = Cli.Run("predict", "--model", tiny.ModelPath, tiny.Image);
        Assert.True(predict.ExitCode == 0, predict.ToString());
        var evaluate = Cli.Run("evaluate", "--model", tiny.ModelPath, "--data", tiny.Data);
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
    }

    [Fact]
    public void A_truncated_zip_is_one_error_line() => AssertBothCommandsRefuse(Copy("truncated.zip", b => b[..(b.Length / 2)]));

    [Fact]
    public void An_empty_file_and_a_text_file_are_one_error_line()
    {
        AssertBothCommandsRefuse(Copy("empty.zip", _ => []));
        AssertBothCommandsRefuse(Copy("text.zip", _ => "not a model"u8.ToArray()));
    }

    [Fact]
    public void One_changed_byte_anywhere_in_the_middle_is_one_error_line()
    {
        var length = new FileInfo(tiny.ModelPath).Length;
        for (var i = 1; i < 20; i++)
        {
            var offset = (int)(length * i / 20);
            AssertBothCommandsRefuse(Copy($"flipped-{i}.zip", b =>
            {
                b[offset] ^= 0x5A;
                return b;
            }));
        }
    }

    [Fact]
    public void A_future_format_version_is_one_error_line()
    {
        var path = Copy("future.zip", b => b);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry("metadata.json")!;
            string text;
            using (var reader = new StreamReader(entry.Open()))
            {
                text = reader.ReadToEnd();
            }

            var current = $"\"formatVersion\": {ModelMetadata.CurrentFormatVersion},";
            Assert.Contains(current, text, StringComparison.Ordinal);
            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry("metadata.json").Open(), Encoding.UTF8);
            writer.Write(text.Replace(current, "\"formatVersion\": 99,", StringComparison.Ordinal));
        }

        AssertBothCommandsRefuse(path);
        var predict = Cli.Run("predict", "--model", path, tiny.Image);
        Assert.Contains("version 99", predict.Errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_named_pipe_as_the_model_or_the_manifest_does_not_hang()
    {
        var pipe = Path.Combine(tiny.Folder, "pipe.zip");
        HostileFiles.MakeFifo(pipe);
        AssertBothCommandsRefuse(pipe);

        var manifest = Path.Combine(tiny.Folder, "pipe.csv");
        HostileFiles.MakeFifo(manifest);
        Cli.Run("train", "--data", manifest, "--out", Path.Combine(tiny.Folder, "m.zip")).AssertOneErrorNaming(manifest);
    }

    [Fact]
    public void An_unrelated_zip_is_one_error_line()
    {
        var path = Path.Combine(tiny.Folder, "unrelated.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var writer = new StreamWriter(zip.CreateEntry("readme.txt").Open());
            writer.Write("hello");
        }

        AssertBothCommandsRefuse(path);
    }

    [Fact]
    public void Compare_models_with_a_damaged_one_is_one_error_line_and_writes_no_report()
    {
        var damaged = Copy("damaged-for-compare.zip", b => b[..(b.Length - 100)]);
        var outDir = Path.Combine(tiny.Folder, "compare-out");
        var compare = Cli.Run("compare", "--models", $"{tiny.ModelPath},{damaged}", "--data", tiny.Data, "--out", outDir);
        compare.AssertOneErrorNaming(damaged);
        Assert.False(File.Exists(Path.Combine(outDir, "report.json")));
        Cli.AssertNoTempFiles(tiny.Folder);
    }

    [Fact]
    public void A_model_evaluated_on_a_data_set_with_other_classes_is_one_error_line()
    {
        // the tiny model knows classes a and b; the embedded data set has Fashion-MNIST's ten
        var json = Path.Combine(tiny.Folder, "other.json");
        var evaluate = Cli.Run("evaluate", "--model", tiny.ModelPath, "--data", EmbeddedDataset.Locate(), "--json", json);
        evaluate.AssertOneErrorNaming(tiny.ModelPath);
        Assert.False(File.Exists(json));
    }
}

[Collection("Console")]
public sealed class HostileIdxTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hostile-idx-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A raw (not gzipped) copy of the embedded IDX data set; returns its folder.</summary>
    private string RawCopy(string name)
    {
        var source = EmbeddedDataset.Locate();
        var folder = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
        File.Copy(Path.Combine(source, "labels.txt"), Path.Combine(folder, "labels.txt"));
        foreach (var gz in Directory.GetFiles(source, "*.gz"))
        {
            using var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress);
            using var output = File.Create(Path.Combine(folder, Path.GetFileNameWithoutExtension(gz)));
            input.CopyTo(output);
        }

        return folder;
    }

    private void AssertRefused(string folder, string badFile)
    {
        var outPath = Path.Combine(_root, "out", "model.zip");
        var train = Cli.Run("train", "--pipeline", "handcrafted", "--data", folder, "--out", outPath);
        train.AssertOneErrorNaming(badFile);
        Assert.False(File.Exists(outPath));
        Cli.AssertNoTempFiles(_root);
        var info = Cli.Run("dataset", "info", "--data", folder);
        info.AssertOneErrorNaming(badFile);
    }

    [Fact]
    public void Wrong_magic()
    {
        var folder = RawCopy("magic");
        var labels = Path.Combine(folder, "train-labels-idx1-ubyte");
        var bytes = File.ReadAllBytes(labels);
        bytes[2] = 0x09;
        File.WriteAllBytes(labels, bytes);
        AssertRefused(folder, labels);
    }

    [Fact]
    public void Wrong_dimension_count()
    {
        var folder = RawCopy("dims");
        var images = Path.Combine(folder, "t10k-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(images);
        bytes[3] = 2;
        File.WriteAllBytes(images, bytes);
        AssertRefused(folder, images);
    }

    [Fact]
    public void More_labels_than_images()
    {
        var folder = RawCopy("labels");
        var labels = Path.Combine(folder, "train-labels-idx1-ubyte");
        var bytes = File.ReadAllBytes(labels);
        var count = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count + 5);
        File.WriteAllBytes(labels, [.. bytes, 0, 1, 2, 3, 4]);
        AssertRefused(folder, labels);
    }

    [Fact]
    public void A_header_claiming_two_billion_images()
    {
        var folder = RawCopy("huge");
        var images = Path.Combine(folder, "train-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(images);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), int.MaxValue);
        File.WriteAllBytes(images, bytes);
        AssertRefused(folder, images);
    }

    [Fact]
    public void Named_pipes_instead_of_an_idx_file_or_labels_txt_do_not_hang()
    {
        var folder = RawCopy("pipe");
        var labels = Path.Combine(folder, "t10k-labels-idx1-ubyte");
        File.Delete(labels);
        HostileFiles.MakeFifo(labels);
        AssertRefused(folder, labels);

        var names = Path.Combine(RawCopy("pipe-names"), "labels.txt");
        File.Delete(names);
        HostileFiles.MakeFifo(names);
        AssertRefused(Path.GetDirectoryName(names)!, names);
    }

    [Fact]
    public void Truncated_gzip()
    {
        var source = EmbeddedDataset.Locate();
        var folder = Directory.CreateDirectory(Path.Combine(_root, "gzip")).FullName;
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        var images = Path.Combine(folder, "train-images-idx3-ubyte.gz");
        var bytes = File.ReadAllBytes(images);
        File.WriteAllBytes(images, bytes[..(bytes.Length / 2)]);
        AssertRefused(folder, images);
    }
}
