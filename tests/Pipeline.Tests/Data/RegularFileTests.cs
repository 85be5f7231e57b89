using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Files;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Tests.Hostile;

namespace ImageWorkbench.Pipeline.Tests.Data;

/// <summary>
/// The four-system-call reader of image files (<see cref="RegularFile"/>): it must read exactly what the file holds,
/// take only regular files with content (everything else goes to the stream path, which says why), notice a file that
/// grew, and leave no descriptor open whatever it declines.
/// </summary>
public sealed class RegularFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("regular-file-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(4096)]
    [InlineData(3 << 20)] // past the decoder's whole-read size: read in more than one call by nobody, but the same bytes
    public void Reads_exactly_the_file_s_bytes(int length)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var path = Path.Combine(_root, $"f{length}.bin");
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        var link = Path.Combine(_root, $"link{length}.bin");
        File.CreateSymbolicLink(link, path);

        foreach (var name in new[] { path, link, Path.GetRelativePath(Environment.CurrentDirectory, path) })
        {
            Assert.True(RegularFile.TryOpen(name, out var file), name);
            try
            {
                Assert.Equal(length, file.Size);
                var window = new byte[length + 1];
                Assert.Equal(length, file.ReadWhole(window));
                Assert.True(window.AsSpan(0, length).SequenceEqual(bytes));
            }
            finally
            {
                file.Dispose();
            }
        }
    }

    [Fact]
    public void Declines_everything_but_a_regular_file_with_content_and_leaves_nothing_open()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var empty = Path.Combine(_root, "empty.png");
        File.WriteAllBytes(empty, []);
        var folder = Directory.CreateDirectory(Path.Combine(_root, "folder.png")).FullName;
        var fifo = Path.Combine(_root, "fifo.png");
        HostileFiles.MakeFifo(fifo);
        var loop = Path.Combine(_root, "loop.png");
        File.CreateSymbolicLink(loop, loop);
        var dangling = Path.Combine(_root, "dangling.png");
        File.CreateSymbolicLink(dangling, Path.Combine(_root, "nothing-here"));

        var before = Directory.GetFiles("/proc/self/fd").Length;
        for (var round = 0; round < 50; round++)
        {
            foreach (var path in new[] { empty, folder, fifo, loop, dangling, Path.Combine(_root, "missing.png"), "/dev/zero", "/dev/null", "/proc/self/status", new string('a', 5000) })
            {
                Assert.False(RegularFile.TryOpen(path, out _), path);
            }
        }

        Assert.InRange(Directory.GetFiles("/proc/self/fd").Length, 0, before + 2); // other tests' threads may open a file meanwhile
    }

    [Fact]
    public void A_file_that_grew_after_it_was_opened_is_noticed()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var path = Path.Combine(_root, "growing.png");
        File.WriteAllBytes(path, new byte[100]);
        Assert.True(RegularFile.TryOpen(path, out var file));
        try
        {
            File.AppendAllText(path, "more");
            Assert.Equal(-1, file.ReadWhole(new byte[file.Size + 1]));
        }
        finally
        {
            file.Dispose();
        }
    }

    [Fact]
    public void Images_decode_the_same_through_it_and_through_memory()
    {
        var dataset = EmbeddedDataset.Locate("fashion-mnist-mini");
        var shape = new ImageShape(28, 28, 1);
        foreach (var path in Directory.EnumerateFiles(dataset, "*.png", SearchOption.AllDirectories).Take(50))
        {
            var fromFile = new float[shape.Length];
            var fromMemory = new float[shape.Length];
            ImageDecoder.Default.Decode(ImageSource.FromFile(path), shape, ResizeMode.Stretch, fromFile, out var fileFacts);
            ImageDecoder.Default.Decode(ImageSource.FromEncoded(File.ReadAllBytes(path), path), shape, ResizeMode.Stretch, fromMemory, out var memoryFacts);
            Assert.Equal(fromMemory, fromFile);
            Assert.Equal(memoryFacts, fileFacts);
        }
    }
}
