using System.Security.Cryptography;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>
/// Cases found by the audit of the merged fixes for issue 11 that the other hostile test classes did not cover.
/// </summary>
[Collection("Console")]
public sealed class HostileInputAuditTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hostile-audit-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Six small pictures in each of the class folders <c>a</c> and <c>b</c> under <paramref name="data"/>.</summary>
    private static List<(string Path, string Label)> WriteTwoClasses(string data)
    {
        var images = new List<(string Path, string Label)>();
        foreach (var (cls, name) in new[] { (0, "a"), (1, "b") })
        {
            string folder = Directory.CreateDirectory(System.IO.Path.Combine(data, name)).FullName;
            for (int i = 0; i < 6; i++)
            {
                string image = System.IO.Path.Combine(folder, $"{i}.png");
                File.WriteAllBytes(image, HostileFiles.Picture(24, 24, cls, (cls * 100) + i));
                images.Add((image, name));
            }
        }

        return images;
    }

    [Fact]
    public void The_cnn_cache_key_of_a_file_near_the_image_limit_is_hashed_in_steps_not_read_whole()
    {
        // A sparse file costs no disk, yet the cache key used to read it into an array and copy it once more, beside the
        // decoder's own read: two 250 MiB sparse images took CNN training from 0.9 GB to 2.25 GB peak on two cores.
        string sparse = Path.Combine(_root, "sparse.png");
        using (var file = File.Create(sparse))
        {
            file.Write(HostileFiles.Picture(8, 8, 0, 1));
            file.SetLength(64L << 20);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        byte[]? hash = CnnTraining.ContentHash(ImageSource.FromFile(sparse));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        using (var file = File.OpenRead(sparse))
        {
            Assert.Equal(SHA256.HashData(file), hash);
        }

        Assert.True(allocated < 1L << 20, $"hashing a 64 MiB file allocated {allocated:N0} bytes");
    }

    /// <summary>
    /// Issue 11 items 7 and 8 end to end, both pipelines: a named pipe, devices, /proc files and a sparse file over the
    /// image limit, inside class folders and listed in a manifest, are each skipped with one warning and counted; the
    /// run neither hangs nor runs out of memory (on main a pipe hung the CNN run and /dev/zero ended it out of memory).
    /// </summary>
    [Theory]
    [InlineData("handcrafted")]
    [InlineData("cnn")]
    public void Special_files_in_class_folders_and_manifests_are_counted_skips_for_both_pipelines(string pipeline)
    {
        string data = Path.Combine(_root, "data");
        var lines = new List<string> { "path,label" };
        lines.AddRange(WriteTwoClasses(data).Select(image => $"{image.Path},{image.Label}"));

        string[] special = [Path.Combine(data, "a", "pipe.png"), Path.Combine(data, "b", "zero.png"), Path.Combine(data, "b", "mem.jpg"), Path.Combine(data, "a", "sparse.png")];
        HostileFiles.MakeFifo(special[0]);
        File.CreateSymbolicLink(special[1], "/dev/zero");
        File.CreateSymbolicLink(special[2], "/proc/self/mem");
        using (var file = File.Create(special[3]))
        {
            file.Write(HostileFiles.Picture(8, 8, 0, 1));
            file.SetLength(300L << 20); // over the 256 MiB limit for one image, no disk used
        }

        string[] listed = [special[0], "/dev/zero", "/dev/urandom", "/proc/self/mem", special[3]];
        lines.AddRange(listed.Select((path, i) => $"{path},{(i % 2 == 0 ? "a" : "b")}"));
        string manifest = Path.Combine(_root, "list.csv");
        File.WriteAllLines(manifest, lines);

        foreach (var (source, bad) in new[] { (data, special), (manifest, listed) })
        {
            string[] cache = pipeline == "cnn" ? ["--cache-dir", Path.Combine(_root, "cache")] : [];
            var result = Cli.Run(
                TimeSpan.FromSeconds(180),
                ["train", "--pipeline", pipeline, "--data", source, "--out", Path.Combine(_root, $"{pipeline}.zip"), "--max-bad-fraction", "0.9", .. cache]);
            Assert.True(result.ExitCode == 0, result.ToString());
            foreach (string path in bad)
            {
                Assert.True(result.Warnings.Count(w => w.Contains(path, StringComparison.Ordinal)) == 1, $"{path}: not one warning\n{result}");
            }

            result.AssertNoStackTrace();
        }
    }

    /// <summary>
    /// <c>compare --out DIR --readme DIR/report.md</c> replaced the user's README with the generated report, then failed
    /// to find its block in it: exit 1 after the folder had changed. A --readme that compare would write over is now
    /// refused: a report name before any work, any other staged name (a model) before the commit; nothing changes.
    /// </summary>
    [Fact]
    public void A_readme_that_compare_would_write_over_is_refused_and_nothing_changes()
    {
        string data = Path.Combine(_root, "data");
        WriteTwoClasses(data);

        string outDir = Directory.CreateDirectory(Path.Combine(_root, "out")).FullName;
        const string readmeText = "# mine\n<!-- generated:X:begin -->\nold\n<!-- generated:X:end -->\n";
        foreach (string name in new[] { "report.md", "handcrafted.zip" })
        {
            string readme = Path.Combine(outDir, name);
            File.WriteAllText(readme, readmeText);
            var result = Cli.Run(TimeSpan.FromSeconds(180), "compare", "--pipelines", "handcrafted", "--data", data, "--out", outDir, "--readme", readme, "--section", "X");
            result.AssertOneErrorNaming(readme);
            Assert.Contains("file compare writes into --out", result.Errors[0], StringComparison.Ordinal);
            Assert.Equal([readme], Directory.GetFileSystemEntries(outDir));
            Assert.Equal(readmeText, File.ReadAllText(readme));
            File.Delete(readme);
        }
    }

    /// <summary>
    /// A file that is no listed format is refused from its first bytes: the decoder used to rent room for the whole file
    /// and read it (up to the 256 MiB image limit of junk, free to make as a sparse file) before looking at them.
    /// </summary>
    [Fact]
    public void A_large_file_of_no_listed_format_is_refused_from_its_first_bytes_without_reading_the_rest()
    {
        string junk = Path.Combine(_root, "junk.png");
        using (var file = File.Create(junk))
        {
            file.SetLength(96L << 20);
        }

        var pixels = new float[28 * 28];
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool decoded = ImageDecoder.Default.TryDecode(ImageSource.FromFile(junk), new ImageShape(28, 28, 1), ResizeMode.Stretch, pixels, out string? error);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.False(decoded);
        Assert.Equal($"{junk}: not a supported image (JPEG, PNG, BMP, GIF or WebP); {96L << 20} bytes starting 0000000000000000", error);
        Assert.True(allocated < 1L << 20, $"refusing a 96 MiB file of zeros allocated {allocated:N0} bytes");
    }

    /// <summary>Every output option of every command, each given something that is not a regular file (or nothing).</summary>
    public static TheoryData<string, string> OutputsAndTargets()
    {
        var data = new TheoryData<string, string>();
        foreach (string command in new[] { "train --out", "evaluate --json", "bench --out", "bench --readme", "compare --readme" })
        {
            foreach (string target in new[] { "fifo", "link to a file", "dangling link", "link to stdout", "/dev/null", "folder" })
            {
                data.Add(command, target);
            }
        }

        foreach (string command in new[] { "compare --out", "features --out", "dataset subset --out" })
        {
            foreach (string target in new[] { "fifo", "link to a folder", "/dev/null", "file" })
            {
                data.Add(command, target);
            }
        }

        return data;
    }

    /// <summary>
    /// Issue 11 item 1 across every output (the other tests take a sample: train over a pipe, evaluate --json over a
    /// link, features into a linked folder): each is one error naming the target before any work, and the target, and
    /// whatever a link points at, stay as they were.
    /// </summary>
    [Theory]
    [MemberData(nameof(OutputsAndTargets))]
    public void Every_output_refuses_what_is_not_a_regular_file_and_leaves_it_as_it_was(string command, string target)
    {
        string data = Path.Combine(_root, "data");
        string image = WriteTwoClasses(data)[0].Path;
        string pointedAt = Path.Combine(_root, "mine");
        File.WriteAllText(pointedAt, "mine");
        Directory.CreateDirectory(Path.Combine(_root, "my-folder"));
        string path = target == "/dev/null" ? "/dev/null" : Path.Combine(_root, "target");
        switch (target)
        {
            case "fifo": HostileFiles.MakeFifo(path); break;
            case "link to a file": File.CreateSymbolicLink(path, pointedAt); break;
            case "dangling link": File.CreateSymbolicLink(path, Path.Combine(_root, "nothing-here")); break;
            case "link to stdout": File.CreateSymbolicLink(path, "/proc/self/fd/1"); break;
            case "link to a folder": Directory.CreateSymbolicLink(path, Path.Combine(_root, "my-folder")); break;
            case "folder": Directory.CreateDirectory(path); break;
            case "file": File.WriteAllText(path, "mine"); break;
        }

        string otherOut = Path.Combine(_root, "other-output");
        string[] args = command switch
        {
            "train --out" => ["train", "--pipeline", "handcrafted", "--data", data, "--out", path],
            "evaluate --json" => ["evaluate", "--model", Path.Combine(_root, "no-model.zip"), "--data", data, "--json", path],
            "bench --out" => ["bench", "--pipelines", "handcrafted", "--data", data, "--out", path],
            "bench --readme" => ["bench", "--pipelines", "handcrafted", "--data", data, "--out", otherOut, "--readme", path, "--section", "X"],
            "compare --readme" => ["compare", "--pipelines", "handcrafted", "--data", data, "--out", otherOut, "--readme", path, "--section", "X"],
            "compare --out" => ["compare", "--pipelines", "handcrafted", "--data", data, "--out", path],
            "features --out" => ["features", "--image", image, "--out", path],
            _ => ["dataset", "subset", "--data", data, "--out", path, "--train-per-class", "2", "--test-per-class", "1"],
        };

        FileType before = FileTypes.Of(path);
        var result = Cli.Run(args);
        result.AssertOneErrorNaming(path);
        Assert.Equal(before, FileTypes.Of(path));
        Assert.Equal("mine", File.ReadAllText(pointedAt));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_root, "my-folder")));
        Assert.False(Path.Exists(otherOut), $"{otherOut} was written\n{result}");
        Assert.False(Path.Exists(Path.Combine(_root, "nothing-here")));
        if (target == "file")
        {
            Assert.Equal("mine", File.ReadAllText(path));
        }
    }
}
