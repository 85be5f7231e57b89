using System.Diagnostics;
using System.Text;
using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime.Files;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>
/// Output safety: what sits at an output path is never replaced unless it is a regular file; folders of outputs
/// (compare, features, dataset subset) change all at once or not at all; a full disk or Ctrl+C part-way changes nothing.
/// </summary>
[Collection("Console")]
public sealed class HostileOutputTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>, IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(180);
    private readonly string _root = Directory.CreateTempSubdirectory("hostile-output-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string PathOf(string name) => Path.Combine(_root, name);

    private static bool IsRoot => Environment.UserName == "root";

    private static void Run(string program, params string[] args)
    {
        using var process = Process.Start(program, args)!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }

    private string[] Compare(string outDir, string seed = "42", params string[] more) =>
        ["compare", "--pipelines", "handcrafted", "--data", tiny.Data, "--seed", seed, "--out", outDir, .. more];

    /// <summary>Every file under <paramref name="folder"/> (relative path -> bytes), hidden ones included.</summary>
    private static SortedDictionary<string, string> Snapshot(string folder)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (Directory.Exists(folder))
        {
            foreach (var file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories))
            {
                files[Path.GetRelativePath(folder, file)] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)));
            }
        }

        return files;
    }

    private static void AssertUnchanged(SortedDictionary<string, string> before, string folder, CliResult result)
    {
        var after = Snapshot(folder);
        Assert.True(before.SequenceEqual(after), $"the folder changed:\nbefore: {string.Join(", ", before.Keys)}\nafter:  {string.Join(", ", after.Keys)}\n{result}");
    }

    /// <summary>A stream that fails like a full disk once <paramref name="budget"/> bytes have been written through all such streams.</summary>
    private static Func<string, Stream, Stream> DiskFullAfter(long budget)
    {
        var used = new long[1];
        return (_, inner) => new DiskFullStream(inner, used, budget);
    }

    // ------------------------------------------------------------ item 1: what sits at the target

    [Fact]
    public void A_named_pipe_or_a_device_at_out_is_refused_before_any_work_and_left_in_place()
    {
        var fifo = PathOf("fifo.zip");
        HostileFiles.MakeFifo(fifo);

        // a data path that does not exist: the output is checked first, so the error names the output
        var result = Cli.Run("train", "--data", PathOf("no-such-data"), "--out", fifo);
        result.AssertOneErrorNaming(fifo);
        Assert.Contains("named pipe", result.Errors[0], StringComparison.Ordinal);
        Assert.Equal(FileType.NamedPipe, FileTypes.Of(fifo));

        result = Cli.Run("train", "--pipeline", "handcrafted", "--data", tiny.Data, "--out", fifo);
        result.AssertOneErrorNaming(fifo);
        Assert.Equal(FileType.NamedPipe, FileTypes.Of(fifo));

        if (IsRoot)
        {
            var folder = Directory.CreateDirectory(PathOf("x")).FullName;
            var device = Path.Combine(folder, "null");
            Run("mknod", device, "c", "1", "3");
            result = Cli.Run("train", "--pipeline", "handcrafted", "--data", tiny.Data, "--out", device);
            result.AssertOneErrorNaming(device);
            Assert.Contains("character device", result.Errors[0], StringComparison.Ordinal);
            Assert.Equal(FileType.CharacterDevice, FileTypes.Of(device));
        }
    }

    [Fact]
    public void A_symbolic_link_at_json_is_refused_and_neither_it_nor_its_target_is_touched()
    {
        var link = PathOf("link.json");
        File.CreateSymbolicLink(link, "/proc/self/fd/1");
        var result = Cli.Run("evaluate", "--model", tiny.ModelPath, "--data", tiny.Data, "--json", link);
        result.AssertOneErrorNaming(link);
        Assert.Contains("symbolic link", result.Errors[0], StringComparison.Ordinal);
        Assert.Equal(FileType.SymbolicLink, FileTypes.Of(link));

        // a link to a regular file: refused too, the file it points at unchanged
        var real = PathOf("real.json");
        File.WriteAllText(real, "mine");
        var fileLink = PathOf("file-link.json");
        File.CreateSymbolicLink(fileLink, real);
        Cli.Run("evaluate", "--model", tiny.ModelPath, "--data", tiny.Data, "--json", fileLink).AssertOneErrorNaming(fileLink);
        Assert.Equal("mine", File.ReadAllText(real));
        Assert.Equal(FileType.SymbolicLink, FileTypes.Of(fileLink));
    }

    [Fact]
    public void A_folder_a_trailing_slash_or_a_parent_that_is_not_a_folder_is_refused_naming_the_output()
    {
        var folder = Directory.CreateDirectory(PathOf("a-folder")).FullName;
        Cli.Run("bench", "--data", PathOf("no-such-data"), "--out", folder).AssertOneErrorNaming(folder);
        Assert.True(Directory.Exists(folder));

        var slash = PathOf("new-model.zip") + "/";
        var result = Cli.Run("train", "--data", PathOf("no-such-data"), "--out", slash);
        result.AssertOneErrorNaming("new-model.zip");
        Assert.False(Directory.Exists(slash));

        var file = PathOf("plain.txt");
        File.WriteAllText(file, "x");
        var under = Path.Combine(file, "model.zip");
        Cli.Run("train", "--data", PathOf("no-such-data"), "--out", under).AssertOneErrorNaming("plain.txt");

        var dangling = PathOf("dangling");
        File.CreateSymbolicLink(dangling, PathOf("nowhere"));
        Cli.Run("train", "--data", PathOf("no-such-data"), "--out", Path.Combine(dangling, "model.zip")).AssertOneErrorNaming("dangling");
    }

    [Fact]
    public void Folder_outputs_refuse_a_file_a_link_or_a_device_where_the_folder_goes()
    {
        var file = PathOf("report-file");
        File.WriteAllText(file, "mine");
        Cli.Run([.. Compare(file)]).AssertOneErrorNaming(file);
        Assert.Equal("mine", File.ReadAllText(file));

        var realFolder = Directory.CreateDirectory(PathOf("real-folder")).FullName;
        var link = PathOf("folder-link");
        Directory.CreateSymbolicLink(link, realFolder);
        Cli.Run("features", "--image", tiny.Image, "--out", link).AssertOneErrorNaming(link);
        Assert.Empty(Directory.GetFileSystemEntries(realFolder));
        Assert.Equal(FileType.SymbolicLink, FileTypes.Of(link));

        var fifo = PathOf("subset-fifo");
        HostileFiles.MakeFifo(fifo);
        Cli.Run("dataset", "subset", "--data", tiny.Data, "--out", fifo, "--train-per-class", "2", "--test-per-class", "1").AssertOneErrorNaming(fifo);
        Assert.Equal(FileType.NamedPipe, FileTypes.Of(fifo));
    }

    [Fact]
    public void An_output_that_is_an_input_or_inside_the_data_set_is_refused()
    {
        // a report folder inside a folder-per-class data set would become a class of its own pictures
        var inside = Path.Combine(tiny.Data, "report");
        Cli.Run([.. Compare(inside)]).AssertOneErrorNaming("report");
        Assert.False(Directory.Exists(inside));

        Cli.Run("dataset", "subset", "--data", tiny.Data, "--out", tiny.Data, "--train-per-class", "2", "--test-per-class", "1").AssertOneErrorNaming(Path.GetFileName(tiny.Data));

        // the same through a link to the data set
        var dataLink = PathOf("data-link");
        Directory.CreateSymbolicLink(dataLink, tiny.Data);
        Cli.Run("compare", "--pipelines", "handcrafted", "--data", dataLink, "--out", inside).AssertOneErrorNaming("report");
        Assert.False(Directory.Exists(inside));
        Cli.Run("train", "--data", dataLink, "--out", Path.Combine(tiny.Data, "a", "model.zip")).AssertOneErrorNaming("model.zip");

        var modelBytes = File.ReadAllBytes(tiny.ModelPath);
        Cli.Run("evaluate", "--model", tiny.ModelPath, "--data", tiny.Data, "--json", tiny.ModelPath).AssertOneErrorNaming(tiny.ModelPath);
        Assert.Equal(modelBytes, File.ReadAllBytes(tiny.ModelPath));

        var manifest = PathOf("list.csv");
        File.WriteAllText(manifest, string.Join('\n', Directory.GetFiles(tiny.Data, "*.png", SearchOption.AllDirectories).Select(f => $"{f},{Path.GetFileName(Path.GetDirectoryName(f))}")));
        var text = File.ReadAllText(manifest);
        Cli.Run("train", "--data", manifest, "--out", manifest).AssertOneErrorNaming(manifest);
        Assert.Equal(text, File.ReadAllText(manifest));

        var readme = PathOf("README.md");
        File.WriteAllText(readme, "<!-- generated:performance-data:begin -->\n<!-- generated:performance-data:end -->\n");
        Cli.Run("bench", "--data", tiny.Data, "--out", readme, "--readme", readme).AssertOneErrorNaming(readme);
    }

    [Fact]
    public void A_linked_images_subfolder_is_not_written_through_and_users_files_stay()
    {
        var outDir = PathOf("report");
        RunPreviousCompare(outDir);
        File.WriteAllText(Path.Combine(outDir, "images", "mine.png"), "the user's picture");
        File.WriteAllText(Path.Combine(outDir, "notes.md"), "the user's notes");
        var stale = Path.Combine(outDir, "images", "thumb-old-run-00000000.png");
        File.WriteAllText(stale, "a picture of an earlier report");
        var rerun = Cli.Run(Limit, Compare(outDir, "7"));
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Equal("the user's picture", File.ReadAllText(Path.Combine(outDir, "images", "mine.png")));
        Assert.Equal("the user's notes", File.ReadAllText(Path.Combine(outDir, "notes.md")));
        Assert.False(File.Exists(stale)); // this tool's own orphan goes

        // images/ as a link to a folder elsewhere: the pictures would land (and old ones be deleted) outside --out
        var elsewhere = Directory.CreateDirectory(PathOf("elsewhere")).FullName;
        File.WriteAllText(Path.Combine(elsewhere, "thumb-keep-00000000.png"), "not the report's");
        Directory.Delete(Path.Combine(outDir, "images"), recursive: true);
        Directory.CreateSymbolicLink(Path.Combine(outDir, "images"), elsewhere);
        var before = Snapshot(outDir);
        var linked = Cli.Run(Limit, Compare(outDir, "8"));
        linked.AssertOneErrorNaming("images");
        Assert.Equal(["thumb-keep-00000000.png"], Directory.GetFiles(elsewhere).Select(Path.GetFileName));
        AssertUnchanged(before, outDir, linked);
        AssertNoStaging(outDir);
    }

    [Fact]
    public void A_file_name_over_255_bytes_is_refused_before_any_work()
    {
        var name = new string('n', 252) + ".zip";
        Cli.Run("train", "--data", PathOf("no-such-data"), "--out", PathOf(name)).AssertOneErrorNaming(name);
    }

    // ------------------------------------------------------------ item 16: temp names within NAME_MAX

    [Theory]
    [InlineData(226, 'm')] // 230 bytes with ".zip"
    [InlineData(83, '日')] // 3 bytes each: 249 bytes + ".zip" = 253
    [InlineData(125, 'é')] // 2 bytes each
    public void Temp_names_stay_within_255_bytes_whatever_the_target_name(int count, char ch)
    {
        var name = new string(ch, count) + ".zip";
        Assert.True(Encoding.UTF8.GetByteCount(name) <= OutputTarget.MaxNameBytes);
        var temp = OutputTarget.TempName(name);
        Assert.InRange(Encoding.UTF8.GetByteCount(temp), 1, OutputTarget.MaxNameBytes);
        Assert.StartsWith(".", temp, StringComparison.Ordinal);
        Assert.EndsWith(".tmp", temp, StringComparison.Ordinal);

        var path = PathOf(name);
        AtomicFile.WriteAllText(path, "whole");
        Assert.Equal("whole", File.ReadAllText(path));
        Cli.AssertNoTempFiles(_root);
    }

    [Fact]
    public void A_legal_230_byte_out_name_trains()
    {
        var model = PathOf(new string('m', 226) + ".zip");
        var result = Cli.Run(Limit, "train", "--pipeline", "handcrafted", "--data", tiny.Data, "--out", model);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("handcrafted", ModelPackage.ReadMetadata(model).PipelineKind);
        Cli.AssertNoTempFiles(_root);
    }

    // ------------------------------------------------------------ item 12: compare changes its folder all at once

    [Fact]
    public void A_compare_that_fails_at_the_end_leaves_the_previous_report_and_models_whole()
    {
        var outDir = PathOf("report");
        RunPreviousCompare(outDir);
        var before = Snapshot(outDir);
        Assert.Contains("handcrafted.zip", before.Keys);

        // report.html replaced by a folder: the run can only fail when it writes the report
        File.Delete(Path.Combine(outDir, "report.html"));
        Directory.CreateDirectory(Path.Combine(outDir, "report.html"));
        before = Snapshot(outDir);
        var second = Cli.Run(Limit, Compare(outDir, "7"));
        second.AssertOneErrorNaming("report.html");
        AssertUnchanged(before, outDir, second);
        AssertNoStaging(outDir);
    }

    [Fact]
    public void A_full_disk_during_compare_changes_nothing_in_the_output_folder()
    {
        var outDir = PathOf("report");
        RunPreviousCompare(outDir);
        File.WriteAllText(Path.Combine(outDir, "notes.txt"), "the user's own file");
        var before = Snapshot(outDir);

        // enough for the model and a few pictures, not for everything
        var modelBytes = new FileInfo(Path.Combine(outDir, "handcrafted.zip")).Length;
        var second = RunWithDiskFullAfter(modelBytes + 20_000, Limit, Compare(outDir, "7"));

        Assert.True(second.ExitCode == 1 && second.Errors.Length == 1 && second.Errors[0].Contains("No space left", StringComparison.Ordinal), second.ToString());
        // The line names the output the user asked for, not the hidden staging folder or temp file it was written through.
        Assert.True(second.Errors[0].StartsWith($"error: {outDir}{Path.DirectorySeparatorChar}", StringComparison.Ordinal), second.ToString());
        Assert.DoesNotContain(".pipeline-staging", second.Errors[0], StringComparison.Ordinal);
        Assert.DoesNotContain(".tmp", second.Errors[0], StringComparison.Ordinal);
        AssertUnchanged(before, outDir, second);
        AssertNoStaging(outDir);

        // and the next run, with room, replaces everything and keeps the user's file
        var third = Cli.Run(Limit, Compare(outDir, "7"));
        Assert.True(third.ExitCode == 0, third.ToString());
        Assert.Equal("the user's own file", File.ReadAllText(Path.Combine(outDir, "notes.txt")));
        var report = File.ReadAllText(Path.Combine(outDir, "report.json"));
        Assert.Contains("\"seed\": 7", report, StringComparison.Ordinal);
        Assert.Contains($"\"modelPath\": \"{Path.Combine(outDir, "handcrafted.zip")}\"", report, StringComparison.Ordinal); // where the model is, not where it was staged
        AssertNoStaging(outDir);
    }

    [Fact]
    public void A_compare_into_a_new_folder_that_fails_leaves_no_folder()
    {
        var outDir = Path.Combine(PathOf("new-parent"), "report");
        var result = RunWithDiskFullAfter(1000, Limit, Compare(outDir));

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.False(Directory.Exists(PathOf("new-parent")), result.ToString());
    }

    [Fact]
    public void Two_runs_writing_the_same_folder_at_once_the_second_is_refused()
    {
        var outDir = PathOf("busy");
        using (StagedFolder.Begin(outDir))
        {
            var result = Cli.Run(Limit, Compare(outDir));
            result.AssertOneErrorNaming("busy");
            Assert.Contains("another pipeline run", result.Errors[0], StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(outDir, "report.*"));
        }

        Assert.False(Directory.Exists(outDir)); // the holder created it and committed nothing
    }

    [Fact]
    public void Leftovers_of_a_killed_run_are_cleaned_and_files_moved_aside_come_back()
    {
        var outDir = Directory.CreateDirectory(PathOf("killed")).FullName;
        File.WriteAllText(Path.Combine(outDir, "report.md"), "new");

        // killed during a commit: report.json was moved aside and its new version not yet moved in
        var staging = Directory.CreateDirectory(Path.Combine(outDir, ".pipeline-staging-1-0123")).FullName;
        File.WriteAllText(Path.Combine(staging, "report.json"), "{}");
        var backup = Directory.CreateDirectory(Path.Combine(outDir, ".pipeline-backup-1-0123", "images")).Parent!.FullName;
        File.WriteAllText(Path.Combine(backup, "report.json"), "{\"old\":1}");
        File.WriteAllText(Path.Combine(backup, "report.md"), "old");
        File.WriteAllText(Path.Combine(backup, "images", "thumb-x.png"), "old picture");

        using (var staged = StagedFolder.Begin(outDir))
        {
            File.WriteAllText(staged.Stage("features.txt"), "next");
            staged.Commit();
        }

        Assert.Equal("{\"old\":1}", File.ReadAllText(Path.Combine(outDir, "report.json")));
        Assert.Equal("new", File.ReadAllText(Path.Combine(outDir, "report.md")));
        Assert.Equal("old picture", File.ReadAllText(Path.Combine(outDir, "images", "thumb-x.png")));
        Assert.Equal("next", File.ReadAllText(Path.Combine(outDir, "features.txt")));
        AssertNoStaging(outDir);
    }

    // ------------------------------------------------------------ item 13: Ctrl+C says what is true

    [Fact]
    public void Ctrl_C_during_compare_after_the_model_was_trained_changes_nothing_and_says_so()
    {
        var outDir = PathOf("report");
        RunPreviousCompare(outDir);
        var before = Snapshot(outDir);

        var (code, err) = RunCancelledAt("timing handcrafted predictions", Compare(outDir, "7"));
        var result = new CliResult(Compare(outDir, "7"), code, "", err);
        Assert.True(code == 1 && result.Errors.Length == 1 && result.Errors[0].Contains("cancelled", StringComparison.Ordinal), result.ToString());
        Assert.Contains("no output", result.Errors[0], StringComparison.Ordinal);
        AssertUnchanged(before, outDir, result);
        AssertNoStaging(outDir);
    }

    // ------------------------------------------------------------ item 11: dataset subset is atomic

    [Fact]
    public void A_bad_test_image_leaves_the_previous_subset_whole()
    {
        var outDir = PathOf("subset");
        var before = PreviousSubset(outDir);

        // train/ and test/ folders, one test image that does not decode: it is read after the train files are made
        var data = PathOf("split");
        foreach (var split in new[] { "train", "test" })
        {
            foreach (var (cls, name) in new[] { (0, "a"), (1, "b") })
            {
                var dir = Directory.CreateDirectory(Path.Combine(data, split, name)).FullName;
                for (var i = 0; i < 3; i++)
                {
                    File.WriteAllBytes(Path.Combine(dir, $"{i}.png"), HostileFiles.Picture(16, 16, cls, i + (split == "test" ? 50 : 0)));
                }
            }
        }

        var bad = Path.Combine(data, "test", "b", "1.png");
        File.WriteAllBytes(bad, HostileFiles.Picture(16, 16, 1, 3)[..60]);
        var result = Cli.Run(Limit, "dataset", "subset", "--data", data, "--out", outDir, "--train-per-class", "3", "--test-per-class", "3", "--max-bad-fraction", "0.5");
        result.AssertOneErrorNaming(bad);
        AssertUnchanged(before, outDir, result);
        AssertNoStaging(outDir);
        Assert.Equal(8, DatasetLoader.Load(outDir).Train.Count + DatasetLoader.Load(outDir).Test.Count);
    }

    [Fact]
    public void A_full_disk_during_dataset_subset_leaves_no_truncated_gz()
    {
        var outDir = PathOf("subset");
        var before = PreviousSubset(outDir);

        var result = RunWithDiskFullAfter(1500, Limit, "dataset", "subset", "--data", tiny.Data, "--out", outDir, "--train-per-class", "5", "--test-per-class", "2", "--seed", "9");

        Assert.True(result.ExitCode == 1 && result.Errors.Length == 1, result.ToString());
        AssertUnchanged(before, outDir, result);
        AssertNoStaging(outDir);
    }

    [Fact]
    public void A_cancelled_dataset_subset_leaves_the_previous_subset_whole()
    {
        var outDir = PathOf("subset");
        var data = DatasetLoader.Load(tiny.Data);
        DatasetSubsetter.WriteIdxSubset(data, outDir, 3, 1, seed: 1);
        var before = Snapshot(outDir);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => DatasetSubsetter.WriteIdxSubset(data, outDir, 5, 2, seed: 2, cancellation.Token));
        AssertUnchanged(before, outDir, new CliResult([], 0, "", ""));
        AssertNoStaging(outDir);
    }

    [Fact]
    public void Features_writes_all_its_pictures_or_none()
    {
        var outDir = PathOf("features");
        var result = RunWithDiskFullAfter(2000, Limit, "features", "--image", tiny.Image, "--out", outDir);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.False(Directory.Exists(outDir), result.ToString());

        result = Cli.Run("features", "--image", tiny.Image, "--out", outDir + "/");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["gx.png", "gy.png", "hog.png", "input.png", "kernels.png", "kernels.txt", "magnitude.png", "responses.png", "sobel-kernels.png", "sobel-responses.png"], Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    /// <summary>The run before the hostile one: a complete report in <paramref name="outDir"/>.</summary>
    private void RunPreviousCompare(string outDir)
    {
        var first = Cli.Run(Limit, Compare(outDir));
        Assert.True(first.ExitCode == 0, first.ToString());
    }

    /// <summary>A complete subset in <paramref name="outDir"/>, as a snapshot.</summary>
    private SortedDictionary<string, string> PreviousSubset(string outDir)
    {
        var good = Cli.Run(Limit, "dataset", "subset", "--data", tiny.Data, "--out", outDir, "--train-per-class", "3", "--test-per-class", "1");
        Assert.True(good.ExitCode == 0, good.ToString());
        return Snapshot(outDir);
    }

    /// <summary>Runs the CLI with a disk that is full once <paramref name="budget"/> bytes of output have been written.</summary>
    private static CliResult RunWithDiskFullAfter(long budget, TimeSpan limit, params string[] args)
    {
        AtomicFile.TestWriteInterceptor.Value = DiskFullAfter(budget);
        try
        {
            return Cli.Run(limit, args);
        }
        finally
        {
            AtomicFile.TestWriteInterceptor.Value = null;
        }
    }

    private static void AssertNoStaging(string folder)
    {
        Assert.Empty(Directory.GetFileSystemEntries(folder, ".pipeline*"));
        Cli.AssertNoTempFiles(folder);
    }

    /// <summary>Runs the CLI in process and cancels it (as the first Ctrl+C does) when a stderr line contains <paramref name="marker"/>.</summary>
    private static (int Code, string Err) RunCancelledAt(string marker, string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        var err = new CancellingWriter(marker, cancellation);
        var previous = Console.Error;
        Console.SetError(TextWriter.Synchronized(err));
        try
        {
            var run = Task.Run(() => Program.Run(args, new StringWriter(), cancellation.Token));
            Assert.True(run.Wait(Limit), $"did not finish\n{err}");
            Assert.True(cancellation.IsCancellationRequested, $"'{marker}' never seen\n{err}");
            return (run.Result, err.ToString());
        }
        finally
        {
            Console.SetError(previous);
        }
    }

    private sealed class CancellingWriter(string marker, CancellationTokenSource cancellation) : StringWriter
    {
        public override void Write(string? value)
        {
            base.Write(value);
            Check(value);
        }

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            Check(value);
        }

        private void Check(string? value)
        {
            if (value is not null && value.Contains(marker, StringComparison.Ordinal))
            {
                cancellation.Cancel();
            }
        }
    }

    /// <summary>Passes writes through until the shared budget is spent, then throws what a full disk throws.</summary>
    private sealed class DiskFullStream(Stream inner, long[] used, long budget) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value) => inner.SetLength(value);

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Interlocked.Add(ref used[0], buffer.Length) > budget)
            {
                throw new IOException($"No space left on device : '{(inner as FileStream)?.Name}'"); // worded as .NET words the real one
            }

            inner.Write(buffer);
        }
    }
}
