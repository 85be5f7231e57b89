using System.Diagnostics;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;

namespace ImageWorkbench.Pipeline.Tests.Data;

public class IdxTests
{
    private const int Rows = 3;
    private const int Cols = 4;

    /// <summary>Image i: pixel p = (i * 31 + p * 7) mod 256, so every image and pixel differs.</summary>
    private static byte[] Pixels(int i) => Enumerable.Range(0, Rows * Cols).Select(p => (byte)(((i * 31) + (p * 7)) % 256)).ToArray();

    private static void WriteSet(string folder, string prefix, int count, int classes, string ext = ".gz")
    {
        IdxWriter.WriteImages(Path.Combine(folder, $"{prefix}-images-idx3-ubyte{ext}"), Enumerable.Range(0, count).Select(i => (ReadOnlyMemory<byte>)Pixels(i)).ToList(), Rows, Cols);
        IdxWriter.WriteLabels(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte{ext}"), Enumerable.Range(0, count).Select(i => (byte)(i % classes)).ToArray());
    }

    [Theory]
    [InlineData(".gz")]
    [InlineData("")]
    public void Round_trip_keeps_pixels_labels_names_and_split(string ext)
    {
        using var dir = new TempDir();
        WriteSet(dir.Root, "train", 12, 3, ext);
        WriteSet(dir.Root, "t10k", 6, 3, ext);
        dir.WriteText("labels.txt", "cat\ndog\nbird\n");

        ImageDataset ds = DatasetLoader.Load(dir.Root);

        Assert.Equal(["cat", "dog", "bird"], ds.Classes);
        Assert.True(ds.HasOwnSplit);
        Assert.Equal(new FeatureExtractors.ImageShape(Cols, Rows, 1), ds.NativeShape);
        Assert.Equal(Path.GetFileName(dir.Root), ds.Name);
        Assert.Equal(12, ds.Train.Count);
        Assert.Equal(6, ds.Test.Count);
        for (int i = 0; i < 12; i++)
        {
            LabeledImage img = ds.Train[i];
            Assert.Equal(i % 3, img.Label);
            Assert.Equal(ImageSourceKind.RawPixels, img.Source.Kind);
            Assert.Equal((Cols, Rows, 1), (img.Source.RawWidth, img.Source.RawHeight, img.Source.RawChannels));
            Assert.Equal(Pixels(i), img.Source.Bytes.ToArray());
            Assert.Equal($"train-images-idx3-ubyte{ext}#{i}", img.Source.Name);
        }

        Assert.Equal(Pixels(5), ds.Test[5].Source.Bytes.ToArray());
    }

    [Fact]
    public void Images_share_one_buffer_per_file()
    {
        using var dir = new TempDir();
        WriteSet(dir.Root, "train", 4, 2);
        ImageDataset ds = DatasetLoader.Load(dir.Root);
        var segments = ds.Train.Concat(ds.Test).Select(i =>
        {
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(i.Source.Bytes, out ArraySegment<byte> s));
            return s;
        }).ToList();
        Assert.Equal(4, segments.Count);
        Assert.All(segments, s => Assert.Same(segments[0].Array, s.Array));
        Assert.Equal([0, 12, 24, 36], segments.Select(s => s.Offset).Order());
    }

    [Fact]
    public void Without_t10k_files_the_train_files_are_split()
    {
        using var dir = new TempDir();
        WriteSet(dir.Root, "train", 20, 2);
        ImageDataset ds = DatasetLoader.Load(dir.Root);
        Assert.False(ds.HasOwnSplit);
        Assert.Equal(16, ds.Train.Count);
        Assert.Equal(4, ds.Test.Count);
        Assert.Equal(2, ds.Test.Count(i => i.Label == 0));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), ds.Classes);
    }

    [Fact]
    public void Folder_named_fashion_gets_fashion_mnist_class_names()
    {
        using var dir = new TempDir();
        string folder = dir.PathOf("my-Fashion-set");
        Directory.CreateDirectory(folder);
        WriteSet(folder, "train", 10, 10);
        ImageDataset ds = DatasetLoader.Load(folder);
        Assert.Equal("my-Fashion-set", ds.Name);
        Assert.Equal("T-shirt/top", ds.Classes[0]);
        Assert.Equal("Ankle boot", ds.Classes[9]);
    }

    private static DatasetException LoadFails(TempDir dir) => Assert.Throws<DatasetException>(() => DatasetLoader.Load(dir.Root));

    [Fact]
    public void Wrong_magic_is_reported_with_the_file()
    {
        using var dir = new TempDir();
        WriteSet(dir.Root, "train", 4, 2);
        string images = dir.Write("train-images-idx3-ubyte.gz", TestData.Gzip(TestData.Idx(0x12345678, [4, Rows, Cols], new byte[4 * Rows * Cols])));
        var e = LoadFails(dir);
        Assert.Contains(images, e.Message, StringComparison.Ordinal);
        Assert.Contains("bad magic number 0x12345678", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Labels_file_with_the_images_magic_is_refused()
    {
        using var dir = new TempDir();
        WriteSet(dir.Root, "train", 4, 2);
        dir.Write("train-labels-idx1-ubyte.gz", TestData.Gzip(TestData.Idx(0x00000803, [4, 1, 1], new byte[4])));
        Assert.Contains("declares 3 dimensions", LoadFails(dir).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_dimension_count_is_refused()
    {
        using var dir = new TempDir();
        WriteSet(dir.Root, "train", 4, 2);
        dir.Write("train-images-idx3-ubyte.gz", TestData.Gzip(TestData.Idx(0x00000802, [4, Rows * Cols], new byte[4 * Rows * Cols])));
        var e = LoadFails(dir);
        Assert.Contains("train-images-idx3-ubyte.gz", e.Message, StringComparison.Ordinal);
        Assert.Contains("declares 2 dimensions", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_labels_than_images_is_refused()
    {
        using var dir = new TempDir();
        WriteSet(dir.Root, "train", 4, 2);
        IdxWriter.WriteLabels(dir.PathOf("train-labels-idx1-ubyte.gz"), [0, 1, 0, 1, 0]);
        var e = LoadFails(dir);
        Assert.Contains("has 5 labels but train-images-idx3-ubyte.gz has 4 images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_file_is_refused()
    {
        using var dir = new TempDir();
        WriteSet(dir.Root, "train", 4, 2, ext: "");
        string images = dir.PathOf("train-images-idx3-ubyte");
        byte[] bytes = File.ReadAllBytes(images);
        File.WriteAllBytes(images, bytes[..^5]);
        var e = LoadFails(dir);
        Assert.Contains(images, e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        Assert.Contains("4 images of 3x4 (48 bytes), the file holds 43", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_longer_than_its_header_is_refused()
    {
        using var dir = new TempDir();
        WriteSet(dir.Root, "train", 4, 2, ext: "");
        File.AppendAllText(dir.PathOf("train-labels-idx1-ubyte"), "xx");
        Assert.Contains("2 bytes longer than its header", LoadFails(dir).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_gzip_is_refused()
    {
        using var dir = new TempDir();
        var rng = new Random(3);
        byte[] noise = new byte[200 * Rows * Cols];
        rng.NextBytes(noise);
        dir.Write("train-images-idx3-ubyte.gz", TestData.Gzip(TestData.Idx(0x803, [200, Rows, Cols], noise))[..^300]);
        IdxWriter.WriteLabels(dir.PathOf("train-labels-idx1-ubyte.gz"), Enumerable.Range(0, 200).Select(i => (byte)(i % 2)).ToArray());
        var e = LoadFails(dir);
        Assert.Contains("train-images-idx3-ubyte.gz", e.Message, StringComparison.Ordinal);
        Assert.Matches("truncated|corrupt", e.Message);
    }

    [Fact]
    public void Label_out_of_range_is_refused()
    {
        using var dir = new TempDir();
        WriteSet(dir.Root, "train", 4, 2);
        dir.WriteText("labels.txt", "a\nb\n");
        IdxWriter.WriteLabels(dir.PathOf("train-labels-idx1-ubyte.gz"), [0, 1, 2, 1]);
        var e = LoadFails(dir);
        Assert.Contains("label 2 of image 2 is out of range", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Absurd_sizes_are_refused_before_allocating()
    {
        using var dir = new TempDir();
        WriteSet(dir.Root, "train", 4, 2);
        // 1e9 images of 28x28 claimed by a tiny gzip file; and a raw file claiming 5000x5000 images.
        dir.Write("train-images-idx3-ubyte.gz", TestData.Gzip(TestData.Idx(0x803, [1_000_000_000, 28, 28], new byte[100])));
        var sw = Stopwatch.StartNew();
        Assert.Contains("more than can be loaded", LoadFails(dir).Message, StringComparison.Ordinal);

        dir.Write("train-images-idx3-ubyte.gz", TestData.Gzip(TestData.Idx(0x803, [2_000_000, 28, 28], new byte[100])));
        Assert.Contains("more than a", LoadFails(dir).Message, StringComparison.Ordinal);

        File.Delete(dir.PathOf("train-images-idx3-ubyte.gz"));
        dir.Write("train-images-idx3-ubyte", TestData.Idx(0x803, [1, 5000, 5000], new byte[100]));
        Assert.Contains("sides must be", LoadFails(dir).Message, StringComparison.Ordinal);
        Assert.True(sw.ElapsedMilliseconds < 2000, $"took {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Missing_label_file_is_named()
    {
        using var dir = new TempDir();
        WriteSet(dir.Root, "train", 4, 2);
        File.Delete(dir.PathOf("train-labels-idx1-ubyte.gz"));
        Assert.Contains("without train-labels-idx1-ubyte", LoadFails(dir).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Single_class_is_refused()
    {
        using var dir = new TempDir();
        WriteSet(dir.Root, "train", 4, 1);
        Assert.Contains("only one class ('0')", LoadFails(dir).Message, StringComparison.Ordinal);
    }
}
