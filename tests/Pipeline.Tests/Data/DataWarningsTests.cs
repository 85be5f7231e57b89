using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Tests.Data;

public class DataWarningsTests
{
    [Fact]
    public void Skip_forwards_one_line_per_file_and_counts()
    {
        var lines = new List<string>();
        var w = new DataWarnings(lines.Add);
        w.Skip("a.png", "empty file");
        w.Skip("a.png", "empty file again");
        w.Skip("b.png", "not an image\nsecond line");
        Assert.Equal(["warning: a.png: empty file", "warning: b.png: not an image\\nsecond line"], lines);
        Assert.Equal(2, w.SkippedCount);
        Assert.Equal(new SkippedImage("a.png", "empty file"), w.Entries[0]);
    }

    [Fact]
    public void Threshold_allows_up_to_one_percent_and_then_names_the_first_file()
    {
        var w = new DataWarnings();
        w.Skip("first.png", "truncated");
        w.ThrowIfOverThreshold(100);
        w.Skip("second.png", "empty");
        var e = Assert.Throws<DatasetException>(() => w.ThrowIfOverThreshold(100));
        Assert.Equal("2 of 100 images could not be read (2%), more than the 1% allowed; first: first.png: truncated", e.Message);
        w.ThrowIfOverThreshold(100, maxFraction: 0.05);
    }

    [Fact]
    public void Concurrent_skips_are_all_counted_once()
    {
        int forwarded = 0;
        var w = new DataWarnings(_ => Interlocked.Increment(ref forwarded));
        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => w.Skip($"f{i % 1000}", "bad"));
        Assert.Equal(1000, w.SkippedCount);
        Assert.Equal(1000, forwarded);
        Assert.Equal(1000, w.Entries.Select(e => e.File).Distinct().Count());
    }
}
