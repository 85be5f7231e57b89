using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Training;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>
/// Hostile data set layouts (issue 11, items 3, 16 and 17): links that would relabel images, unreadable folders, names
/// that forge or hide output, and sizes that flood stderr. Loading does not decode, so the image files here are a few
/// bytes; what is checked is which file gets which label, what is counted as skipped, and what is printed.
/// </summary>
[Collection("Console")]
public sealed class HostileDataScanTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hostile-scan-").FullName;

    public void Dispose()
    {
        FolderScanner.ListingFaultForTests = null;
        Directory.Delete(_root, recursive: true);
    }

    private string Write(string relative)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [1, 2, 3]);
        return path;
    }

    /// <summary>Writes <paramref name="perClass"/> files named 0.png, 1.png, ... in each of <paramref name="classes"/> under <paramref name="folder"/>.</summary>
    private string WriteClasses(string folder, int perClass, params string[] classes)
    {
        for (var i = 0; i < perClass; i++)
        {
            foreach (var cls in classes)
            {
                Write(Path.Combine(folder, cls, $"{i}.png"));
            }
        }

        return Path.Combine(_root, folder);
    }

    private static string[] Labelled(ImageDataset ds, string root) =>
        ds.Train.Concat(ds.Test)
            .Select(i => $"{ds.Classes[i.Label]}:{Path.GetRelativePath(root, i.Source.Path!)}")
            .Order(StringComparer.Ordinal)
            .ToArray();

    private static void MakeHardLink(string existing, string link)
    {
        using var ln = System.Diagnostics.Process.Start("ln", [existing, link])!;
        ln.WaitForExit();
        Assert.Equal(0, ln.ExitCode);
    }

    [Fact]
    public void Folder_links_are_not_followed_and_no_file_counts_under_two_classes()
    {
        var data = Path.Combine(_root, "data");
        foreach (var name in new[] { "disc/d0.png", "disc/d1.png", "disc/d2.png", "stripes/s0.png", "stripes/s1.png", "stripes/s2.png" })
        {
            Write(Path.Combine("data", name));
        }

        Directory.CreateSymbolicLink(Path.Combine(data, "disc", "more"), Path.Combine("..", "stripes")); // would count stripes as disc
        Directory.CreateSymbolicLink(Path.Combine(data, "disc", "up"), "..");                              // would merge every class into disc
        Directory.CreateSymbolicLink(Path.Combine(data, "alias"), "stripes");                              // a class folder that is a link
        File.CreateSymbolicLink(Path.Combine(data, "disc", "borrowed.png"), Path.Combine(data, "stripes", "s0.png")); // one file, two classes
        MakeHardLink(Path.Combine(data, "disc", "d0.png"), Path.Combine(data, "disc", "d9-again.png"));    // one file twice in one class
        var rootLink = Path.Combine(_root, "data-link");
        Directory.CreateSymbolicLink(rootLink, data);                                                       // the root itself may be a link

        var warnings = new DataWarnings();
        var ds = DatasetLoader.Load(rootLink, new DatasetOptions { TestFraction = 0.5, MaxBadFraction = 0.5 }, warnings);

        Assert.Equal(["disc", "stripes"], ds.Classes);
        Assert.Equal(["disc:disc/d0.png", "disc:disc/d1.png", "disc:disc/d2.png", "stripes:stripes/s1.png", "stripes:stripes/s2.png"], Labelled(ds, rootLink));
        Assert.Equal(3, warnings.SkippedCount); // d9-again.png, borrowed.png and the s0.png it points to
        Assert.Contains(warnings.Entries, e => e.File.EndsWith("d9-again.png", StringComparison.Ordinal) && e.Reason.Contains("counted once", StringComparison.Ordinal));
        Assert.Contains(warnings.Entries, e => e.File.EndsWith("borrowed.png", StringComparison.Ordinal) && e.Reason.Contains("also class 'stripes'", StringComparison.Ordinal));
        Assert.Contains(warnings.Entries, e => e.File.EndsWith("s0.png", StringComparison.Ordinal) && e.Reason.Contains("also class 'disc'", StringComparison.Ordinal));
        foreach (var link in new[] { "more", "up", "alias" })
        {
            Assert.Contains(warnings.Messages, m => m.Contains($"{link}: symbolic link to a folder", StringComparison.Ordinal) && m.Contains("not followed", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_same_file_in_train_and_test_under_different_classes_is_left_out_of_both()
    {
        var data = Path.Combine(_root, "split");
        foreach (var name in new[] { "train/a/1.png", "train/a/2.png", "train/b/1.png", "train/b/2.png", "test/a/3.png", "test/b/3.png" })
        {
            Write(Path.Combine("split", name));
        }

        MakeHardLink(Path.Combine(data, "train", "a", "1.png"), Path.Combine(data, "test", "b", "leak.png"));
        var warnings = new DataWarnings();
        var ds = DatasetLoader.Load(data, new DatasetOptions { MaxBadFraction = 0.5 }, warnings);
        var names = Labelled(ds, data);
        Assert.DoesNotContain("a:train/a/1.png", names);
        Assert.DoesNotContain("b:test/b/leak.png", names);
        Assert.Equal(2, warnings.SkippedCount);
    }

    [Fact]
    public void A_manifest_listing_one_file_under_two_labels_leaves_it_out_and_repeats_print_a_few_lines()
    {
        var folder = Path.Combine(_root, "manifest");
        var lines = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            Write(Path.Combine("manifest", $"x{i}.png"));
            lines.Add($"x{i}.png,{(i % 2 == 0 ? "even" : "odd")}");
        }

        File.CreateSymbolicLink(Path.Combine(folder, "alias.png"), Path.Combine(folder, "x0.png"));
        lines.Add("alias.png,odd");                                 // x0.png again, with another label
        lines.AddRange(Enumerable.Repeat("x1.png,odd", 10_000));    // one path repeated: noted, not 10,000 lines
        var manifest = Path.Combine(folder, "list.csv");
        File.WriteAllLines(manifest, lines);

        var info = Cli.Run("dataset", "info", "--data", manifest, "--max-bad-fraction", "0.5");
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains(info.Warnings, w => w.Contains("alias.png", StringComparison.Ordinal) && w.Contains("two labels", StringComparison.Ordinal));
        Assert.Contains(info.Warnings, w => w.Contains("x0.png", StringComparison.Ordinal) && w.Contains("two labels", StringComparison.Ordinal));
        var ds = DatasetLoader.Load(manifest, new DatasetOptions { MaxBadFraction = 0.5 }, new DataWarnings());
        Assert.Equal(39, ds.Train.Count + ds.Test.Count); // x0.png (listed as even, and as odd through alias.png) is left out
        Assert.True(info.Warnings.Length <= 10, info.ToString());
        Assert.Contains(info.Warnings, w => w.Contains("and 9,995 more like this", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unreadable_class_folder_is_counted_as_bad_not_reported_as_empty()
    {
        // Tests run as root in CI, where chmod 000 does not stop reading: the listing failure is injected for this
        // one folder instead, through the same path a real EACCES takes (the enumerator throws).
        var data = WriteClasses("perm", 4, "cats", "dogs", "locked");

        var locked = Path.Combine(data, "locked");
        FolderScanner.ListingFaultForTests = folder => folder == locked ? new UnauthorizedAccessException($"Access to the path '{folder}' is denied.") : null;

        var failed = Cli.Run("dataset", "info", "--data", data);
        failed.AssertOneErrorNaming(locked);
        Assert.Contains("could not be read", failed.Errors[0], StringComparison.Ordinal);
        Assert.DoesNotContain(failed.Warnings, w => w.Contains("holds no images", StringComparison.Ordinal));
        Assert.Contains(failed.Warnings, w => w.StartsWith($"warning: {locked}: cannot read this folder (permission denied)", StringComparison.Ordinal));

        var allowed = Cli.Run("dataset", "info", "--data", data, "--max-bad-fraction", "0.5");
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.DoesNotContain("locked", allowed.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_past_PATH_MAX_is_counted_as_bad_not_hidden()
    {
        // A real listing failure that root cannot bypass either: a folder whose full path is longer than PATH_MAX.
        var data = WriteClasses("deep", 200, "cats", "dogs");

        // 18 folders of 250 characters: the deepest paths pass PATH_MAX (4096). Each step here names a path under the
        // limit: two chains of 9 are made apart, then one is moved to the bottom of the other, then into the class.
        var segment = new string('d', 250);
        var nine = Path.Combine(Enumerable.Repeat(segment, 9).ToArray());
        var upper = Path.Combine(_root, "upper");
        var lower = Path.Combine(_root, "lower");
        Directory.CreateDirectory(Path.Combine(upper, nine));
        Directory.CreateDirectory(Path.Combine(lower, nine));
        Directory.Move(Path.Combine(lower, segment), Path.Combine(upper, nine, segment));
        Directory.Move(Path.Combine(upper, segment), Path.Combine(data, "cats", segment));

        try
        {
            var warnings = new DataWarnings();
            var ds = DatasetLoader.Load(data, DatasetOptions.Default, warnings);
            Assert.Equal(400, ds.Train.Count + ds.Test.Count);
            Assert.True(warnings.Entries.Count == 1, string.Join("\n", warnings.Messages));
            Assert.Contains("cannot be read", warnings.Entries[0].Reason, StringComparison.Ordinal);
        }
        finally
        {
            // Directory.Delete cannot remove a path longer than PATH_MAX either: cut the chain in two first.
            Directory.Move(Path.Combine(data, "cats", nine), Path.Combine(_root, "tail"));
        }
    }

    [Fact]
    public void Names_with_newlines_escapes_and_bidi_overrides_are_printed_escaped()
    {
        var data = WriteClasses("names", 100, "cats", "dogs");

        var cats = Path.Combine(data, "cats");
        string[] hostile = ["ok.png\nerror: forged line.png", "red\u001b[31m.png", "evil\u202egnp.png", "zero\u200bwidth.png"];
        foreach (var name in hostile)
        {
            File.CreateSymbolicLink(Path.Combine(cats, name), Path.Combine(_root, "missing.png")); // broken: a skip naming it
        }

        var info = Cli.Run("dataset", "info", "--data", data, "--max-bad-fraction", "0.5");
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Empty(info.Errors); // the newline in the name did not start a line of its own
        Assert.DoesNotContain(info.Err, c => c is '\u001b' or '\u202e' or '\u200b');
        Assert.Contains(info.Warnings, w => w.Contains("ok.png\\nerror: forged line.png", StringComparison.Ordinal));
        Assert.Contains(info.Warnings, w => w.Contains("red\\x1b[31m.png", StringComparison.Ordinal));
        Assert.Contains(info.Warnings, w => w.Contains("evil\\u202egnp.png", StringComparison.Ordinal));
        Assert.Contains(info.Warnings, w => w.Contains("zero\\u200bwidth.png", StringComparison.Ordinal));

        // an error line escapes too: a data path that does not exist, named with a newline
        var missing = Cli.Run("dataset", "info", "--data", Path.Combine(_root, "no\nerror: such"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Single(missing.Errors);
        Assert.Contains("no\\nerror: such", missing.Errors[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("tab\there")]
    [InlineData("new\nline")]
    [InlineData("rtl\u202eoverride")]
    public void A_class_name_that_is_blank_or_holds_invisible_characters_is_one_error(string name)
    {
        var data = Path.Combine(_root, "classes");
        Write(Path.Combine("classes", "fine", "1.png"));
        Write(Path.Combine("classes", "fine", "2.png"));
        Write(Path.Combine("classes", name, "1.png"));
        Write(Path.Combine("classes", name, "2.png"));
        var result = Cli.Run("dataset", "info", "--data", data);
        result.AssertOneErrorNaming(data);
        Assert.Contains("class name", result.Errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Class_names_that_differ_only_by_case_stay_two_classes()
    {
        var data = Path.Combine(_root, "case");
        foreach (var name in new[] { "a/1.png", "a/2.png", "A/1.png", "A/2.png" })
        {
            Write(Path.Combine("case", name));
        }

        Assert.Equal(["A", "a"], DatasetLoader.Load(data).Classes); // EMNIST's letters: 'a' and 'A' are different classes
    }

    [Fact]
    public void Ten_thousand_one_image_classes_print_a_few_warning_lines_and_a_count()
    {
        var data = Path.Combine(_root, "many");
        for (var i = 0; i < 2000; i++)
        {
            Write(Path.Combine("many", $"class{i:D5}", "only.png"));
        }

        Directory.CreateDirectory(Path.Combine(data, "zz-empty-1"));
        Directory.CreateDirectory(Path.Combine(data, "zz-empty-2"));
        var info = Cli.Run("dataset", "info", "--data", data);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Equal(5, info.Warnings.Count(w => w.Contains("single image", StringComparison.Ordinal) && !w.Contains("more like this", StringComparison.Ordinal)));
        Assert.Single(info.Warnings, w => w.Contains("and 1,995 more like this: a class has a single image", StringComparison.Ordinal));
        Assert.Equal(2, info.Warnings.Count(w => w.Contains("holds no images", StringComparison.Ordinal))); // two of a kind: both printed
        Assert.Equal(8, info.Warnings.Length);
    }

    [Fact]
    public void A_huge_or_special_labels_file_is_one_error_not_a_read()
    {
        var data = Path.Combine(_root, "idx");
        var mini = Path.Combine(Cli.RepoRoot(), "datasets", "fashion-mnist-mini");
        Directory.CreateDirectory(data);
        foreach (var file in Directory.GetFiles(mini, "*.gz"))
        {
            File.Copy(file, Path.Combine(data, Path.GetFileName(file)));
        }

        var labels = Path.Combine(data, "labels.txt");
        using (var huge = File.Create(labels))
        {
            huge.SetLength(1L << 30); // sparse: a gigabyte of NUL bytes would be read whole
        }

        var big = Cli.Run("dataset", "info", "--data", data);
        big.AssertOneErrorNaming(labels);
        Assert.Contains("too big", big.Errors[0], StringComparison.Ordinal);

        File.Delete(labels);
        HostileFiles.MakeFifo(labels);
        var fifo = Cli.Run(TimeSpan.FromSeconds(30), "dataset", "info", "--data", data);
        fifo.AssertOneErrorNaming(labels);
    }

    [Fact]
    public void A_stage_that_reports_nothing_still_shows_it_is_alive_in_a_log()
    {
        var err = new StringWriter();
        var previous = Console.Error;
        Console.SetError(TextWriter.Synchronized(err));
        try
        {
            var progress = new ConsoleProgress(logInterval: TimeSpan.FromMilliseconds(100), heartbeat: TimeSpan.FromMilliseconds(50), interactive: false);
            progress.Report(new TrainingProgress("training lbfgs", 0, 1, 0));
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!err.ToString().Contains("elapsed", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }

            progress.EndLine();
        }
        finally
        {
            Console.SetError(previous);
        }

        var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("training lbfgs...", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("training lbfgs... (00:0", StringComparison.Ordinal) && l.EndsWith("elapsed)", StringComparison.Ordinal));
    }
}
