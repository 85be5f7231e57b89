using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;

namespace ImageWorkbench.Pipeline.Tests.Data;

public class FolderAndManifestTests
{
    private static string[] Names(IEnumerable<LabeledImage> images, ImageDataset ds, string root) =>
        images.Select(i => $"{ds.Classes[i.Label]}:{Path.GetRelativePath(root, i.Source.Path!).Replace('\\', '/')}").Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Class_folders_take_every_image_extension_in_any_case_and_skip_hidden_and_other_files()
    {
        using var dir = new TempDir();
        foreach (string f in new[] { "cats/a.JPG", "cats/b.jpeg", "cats/c.Png", "cats/sub/d.bmp", "dogs/e.GIF", "dogs/f.webp", "dogs/g.WebP" })
        {
            dir.Write(f);
        }

        foreach (string f in new[] { "cats/.hidden.png", "cats/notes.txt", "cats/x.tiff", "dogs/.cache/h.png", ".git/i.png", "loose.png" })
        {
            dir.Write(f);
        }

        ImageDataset ds = DatasetLoader.Load(dir.Root, new DatasetOptions { TestFraction = 0.5 }, new DataWarnings());

        Assert.Equal(["cats", "dogs"], ds.Classes);
        Assert.False(ds.HasOwnSplit);
        Assert.Null(ds.NativeShape);
        Assert.Equal(
            ["cats:cats/a.JPG", "cats:cats/b.jpeg", "cats:cats/c.Png", "cats:cats/sub/d.bmp", "dogs:dogs/e.GIF", "dogs:dogs/f.webp", "dogs:dogs/g.WebP"],
            Names(ds.Train.Concat(ds.Test), ds, dir.Root));
        Assert.All(ds.Train.Concat(ds.Test), i => Assert.Equal(ImageSourceKind.File, i.Source.Kind));
    }

    [Fact]
    public void Train_and_test_folders_are_the_split_and_classes_are_their_sorted_union()
    {
        using var dir = new TempDir();
        foreach (string f in new[] { "train/b/1.png", "train/b/2.png", "train/a/1.png", "train/c/1.png", "test/a/9.png", "test/b/9.png" })
        {
            dir.Write(f);
        }

        dir.WriteText("README.md", "not a class");
        var warnings = new DataWarnings();
        ImageDataset ds = DatasetLoader.Load(dir.Root, DatasetOptions.Default, warnings);

        Assert.True(ds.HasOwnSplit);
        Assert.Equal(["a", "b", "c"], ds.Classes);
        Assert.Equal(["a:train/a/1.png", "b:train/b/1.png", "b:train/b/2.png", "c:train/c/1.png"], Names(ds.Train, ds, dir.Root));
        Assert.Equal(["a:test/a/9.png", "b:test/b/9.png"], Names(ds.Test, ds, dir.Root));
        Assert.Contains(warnings.Messages, m => m.Contains("class 'c'", StringComparison.Ordinal));
    }

    [Fact]
    public void Val_folder_counts_as_test()
    {
        using var dir = new TempDir();
        foreach (string f in new[] { "train/a/1.png", "train/b/1.png", "val/a/2.png" })
        {
            dir.Write(f);
        }

        ImageDataset ds = DatasetLoader.Load(dir.Root);
        Assert.True(ds.HasOwnSplit);
        Assert.Single(ds.Test);
    }

    [Fact]
    public void Class_only_in_test_is_an_error()
    {
        using var dir = new TempDir();
        foreach (string f in new[] { "train/a/1.png", "train/b/1.png", "test/a/2.png", "test/zebra/2.png" })
        {
            dir.Write(f);
        }

        var e = Assert.Throws<DatasetException>(() => DatasetLoader.Load(dir.Root));
        Assert.Contains("class 'zebra' has test images but no train images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_folder_missing_path_and_single_class_are_errors()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.PathOf("empty-class"));
        var none = Assert.Throws<DatasetException>(() => DatasetLoader.Load(dir.Root));
        Assert.Contains(dir.Root, none.Message, StringComparison.Ordinal);
        Assert.Contains("no images found", none.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<DatasetException>(() => DatasetLoader.Load(dir.PathOf("nope")));
        Assert.Contains("nope: no such file or folder", missing.Message, StringComparison.Ordinal);

        dir.Write("loose.JPG");
        var loose = Assert.Throws<DatasetException>(() => DatasetLoader.Load(dir.Root));
        Assert.Contains("1 images lie directly in the folder, but they must be in one sub-folder per class", loose.Message, StringComparison.Ordinal);

        dir.Write("only/1.png");
        dir.Write("only/2.png");
        var one = Assert.Throws<DatasetException>(() => DatasetLoader.Load(dir.Root));
        Assert.Contains("only one class ('only')", one.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Symbolic_links_to_folders_are_not_followed_so_loops_end_and_nothing_is_read_twice()
    {
        using var dir = new TempDir();
        dir.Write("a/1.png");
        dir.Write("b/2.png");
        dir.Write("shared/3.png");
        for (int i = 0; i < 120; i++)
        {
            dir.Write($"b/many/{i}.png"); // keeps the one broken link under the 1% skip limit
        }

        Directory.CreateSymbolicLink(dir.PathOf("a/loop"), dir.PathOf("a"));          // a/loop -> a
        Directory.CreateSymbolicLink(dir.PathOf("b/up"), dir.Root);                    // b/up -> root (contains b)
        Directory.CreateSymbolicLink(dir.PathOf("a/linked"), dir.PathOf("shared"));     // not followed either
        File.CreateSymbolicLink(dir.PathOf("b/dead.png"), dir.PathOf("missing.png"));   // broken link

        var warnings = new DataWarnings();
        var ds = DatasetLoader.Load(dir.Root, new DatasetOptions { TestFraction = 0.5 }, warnings);
        string[] names = Names(ds.Train.Concat(ds.Test), ds, dir.Root);
        Assert.Contains("a:a/1.png", names);
        Assert.DoesNotContain("a:a/linked/3.png", names);
        Assert.Contains("b:b/2.png", names);
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.Contains(warnings.Entries, e => e.File.EndsWith("dead.png", StringComparison.Ordinal) && e.Reason.Contains("broken", StringComparison.Ordinal));
        Assert.Contains(warnings.Messages, m => m.Contains("loop: symbolic link to a folder", StringComparison.Ordinal) && m.Contains("not followed", StringComparison.Ordinal));
    }

    [Fact]
    public void Csv_manifest_with_header_quotes_and_relative_paths()
    {
        using var dir = new TempDir();
        dir.Write("img/a 1.png");
        dir.Write("img/b,2.png");
        dir.Write("img/c.png");
        dir.Write("other/d.png");
        string manifest = dir.WriteText("lists/all.csv", "path,label\n../img/a 1.png,cat\n\"../img/b,2.png\",\"dog\"\n../img/c.png , cat\n\n" + dir.PathOf("other/d.png") + ",dog\n");

        ImageDataset ds = DatasetLoader.Load(manifest, new DatasetOptions { TestFraction = 0.5 }, new DataWarnings());

        Assert.Equal(["cat", "dog"], ds.Classes);
        Assert.Equal("lists", ds.Name);
        Assert.Equal(["cat:img/a 1.png", "cat:img/c.png", "dog:img/b,2.png", "dog:other/d.png"], Names(ds.Train.Concat(ds.Test), ds, dir.Root));
        Assert.Equal(2, ds.Test.Count);
    }

    [Fact]
    public void Tsv_manifest_without_header()
    {
        using var dir = new TempDir();
        dir.Write("x/1.png");
        dir.Write("x/2.png");
        string manifest = dir.WriteText("set.tsv", "x/1.png\tleft\nx/2.png\tright, maybe\n");
        ImageDataset ds = DatasetLoader.Load(manifest);
        Assert.Equal(["left", "right, maybe"], ds.Classes);
    }

    [Theory]
    [InlineData("a.png,cat\nb.png,dog\nc.png\n", ":3: malformed manifest line: expected 2 comma-separated fields")]
    [InlineData("a.png,cat\n\"b.png,dog\n", ":2: malformed manifest line: unterminated quoted field")]
    [InlineData("a.png,cat\nb.png,dog,extra\n", ":2: malformed manifest line: expected 2 comma-separated fields (path,label), found 3")]
    [InlineData("a.png,cat\nb.png,\n", ":2: malformed manifest line: empty label")]
    public void Malformed_manifest_line_is_named_with_its_number(string text, string expected)
    {
        using var dir = new TempDir();
        dir.Write("a.png");
        dir.Write("b.png");
        string manifest = dir.WriteText("m.csv", text);
        var e = Assert.Throws<DatasetException>(() => DatasetLoader.Load(manifest));
        Assert.Contains(manifest + expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_manifest_files_are_skipped_and_too_many_fail_the_load()
    {
        using var dir = new TempDir();
        var lines = new List<string>();
        for (int i = 0; i < 200; i++)
        {
            lines.Add($"{dir.Write($"i/{i}.png")},{(i % 2 == 0 ? "even" : "odd")}");
        }

        lines.Add("i/gone.png,odd");
        string manifest = dir.WriteText("m.csv", string.Join('\n', lines));
        var sink = new List<string>();
        var warnings = new DataWarnings(sink.Add);
        ImageDataset ds = DatasetLoader.Load(manifest, DatasetOptions.Default, warnings);
        Assert.Equal(200, ds.Train.Count + ds.Test.Count);
        Assert.Equal(1, warnings.SkippedCount);
        Assert.Equal($"warning: {dir.PathOf("i/gone.png")}: not found (listed on line 201 of m.csv)", Assert.Single(sink));

        File.AppendAllText(manifest, "\ni/gone2.png,odd\ni/gone3.png,even\n");
        var e = Assert.Throws<DatasetException>(() => DatasetLoader.Load(manifest, DatasetOptions.Default, new DataWarnings()));
        Assert.StartsWith("3 of 203 images could not be read (1.5%), more than the 1% allowed; first: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_data_set_is_refused()
    {
        using var dir = new TempDir();
        string png = dir.Write("x.png");
        Assert.Contains("not a data set", Assert.Throws<DatasetException>(() => DatasetLoader.Load(png)).Message, StringComparison.Ordinal);
    }
}
