using ImageWorkbench.Pipeline.Pipelines.Cnn;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>
/// `cache clear`, `cache info` and the cache's own deletions (eviction, bad entries) touch only what the cache
/// wrote: entries and temp files under a v1 folder carrying its marker (issue 11, item 2).
/// </summary>
[Collection("Console")]
public sealed class HostileCacheTests : IDisposable
{
    private const string Id = "resnet18-onnx-0.23.1/224/stretch/rgb";
    private readonly string _root = Directory.CreateTempSubdirectory("hostile-cache-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static byte[] Hash(int i) => FeatureCache.HashContent(BitConverter.GetBytes(i));

    private static float[] Features(int seed) => Enumerable.Range(0, 512).Select(i => (float)((i * 31) + seed)).ToArray();

    private string Dir(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

    private static string Write(string path, string text = "keep me")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A cache folder holding <paramref name="count"/> entries written by the cache itself.</summary>
    private static FeatureCache Filled(string dir, int count)
    {
        var cache = new FeatureCache(dir);
        for (int i = 0; i < count; i++)
        {
            cache.Put(Hash(i), Id, Features(i));
        }

        return cache;
    }

    private static int EntryFiles(string dir) => Directory.EnumerateFiles(Path.Combine(dir, "v1"), "*.f32", SearchOption.AllDirectories).Count();

    [Fact]
    public void Clear_refuses_a_folder_that_is_not_a_cache_and_deletes_nothing()
    {
        var dir = Dir("thesis");
        var thesis = Write(Path.Combine(dir, "v1", "docs", "thesis.tex"));
        var shardLike = Write(Path.Combine(dir, "v1", "ab", "notes.txt"));

        var result = Cli.Run("cache", "clear", "--cache-dir", dir);
        result.AssertOneErrorNaming(dir);
        Assert.Contains("not a CNN feature cache", result.Errors[0], StringComparison.Ordinal);
        Assert.True(File.Exists(thesis));
        Assert.True(File.Exists(shardLike));

        var info = Cli.Run("cache", "info", "--cache-dir", dir);
        info.AssertOneErrorNaming(dir);
    }

    [Fact]
    public void Clear_refuses_a_home_like_folder_without_a_v1()
    {
        var home = Dir("home");
        var profile = Write(Path.Combine(home, ".bashrc"));
        Cli.Run("cache", "clear", "--cache-dir", home).AssertOneErrorNaming(home);
        Cli.Run("cache", "info", "--cache-dir", home).AssertOneErrorNaming(home);
        Assert.True(File.Exists(profile));
        Assert.False(Directory.Exists(Path.Combine(home, "v1")), "clear or info created a cache folder");
    }

    [Fact]
    public void Clear_of_the_file_system_root_is_refused()
    {
        var result = Cli.Run("cache", "clear", "--cache-dir", "/");
        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.Errors);
        Assert.Contains("'/' is not a CNN feature cache", result.Errors[0], StringComparison.Ordinal);
        result.AssertNoStackTrace();
    }

    [Fact]
    public void A_cache_dir_that_is_a_file_gets_one_error_line()
    {
        var file = Write(Path.Combine(_root, "features"));
        Cli.Run("cache", "clear", "--cache-dir", file).AssertOneErrorNaming(file);
        Cli.Run("cache", "info", "--cache-dir", file).AssertOneErrorNaming(file);
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void Absent_or_empty_folder_is_an_empty_cache()
    {
        var absent = Path.Combine(_root, "never-used");
        var result = Cli.Run("cache", "info", "--cache-dir", absent);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("0 entries", result.Out, StringComparison.Ordinal);
        Assert.Equal(0, Cli.Run("cache", "clear", "--cache-dir", Dir("empty")).ExitCode);
        Assert.False(Directory.Exists(absent));
    }

    [Fact]
    public void Clear_in_a_marked_cache_deletes_only_entries_and_never_follows_links()
    {
        var dir = Dir("marked");
        Filled(dir, 6);
        Assert.True(File.Exists(Path.Combine(dir, "v1", FeatureCache.MarkerFileName)), "the cache writes its marker");
        var thesis = Write(Path.Combine(dir, "v1", "docs", "thesis.tex"));
        var wrongName = Write(Path.Combine(dir, "v1", "ab", "thesis.f32"));
        var tmpNotes = Write(Path.Combine(dir, "v1", "tmp", "notes.txt"));

        // a shard-named link to a folder outside, holding a file named exactly like an entry
        var outside = Dir("outside");
        var outsideEntry = Write(Path.Combine(outside, new string('0', 62) + ".f32"));
        Directory.CreateSymbolicLink(Path.Combine(dir, "v1", "ee"), outside);

        // an entry-named link to a file outside
        var target = Write(Path.Combine(outside, "precious.txt"));
        var shard = Directory.CreateDirectory(Path.Combine(dir, "v1", "cd")).FullName;
        File.CreateSymbolicLink(Path.Combine(shard, new string('1', 62) + ".f32"), target);

        var info = Cli.Run("cache", "info", "--cache-dir", dir);
        Assert.Equal(0, info.ExitCode);
        Assert.Contains(": 6 entries", info.Out, StringComparison.Ordinal);

        var result = Cli.Run("cache", "clear", "--cache-dir", dir);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("cleared 6 entries", result.Out, StringComparison.Ordinal);
        Assert.Contains("did not write", result.Out, StringComparison.Ordinal);
        foreach (var kept in new[] { thesis, wrongName, tmpNotes, outsideEntry, target })
        {
            Assert.True(File.Exists(kept), $"{kept} was deleted");
        }

        Assert.True(File.Exists(Path.Combine(shard, new string('1', 62) + ".f32")), "the link itself is not the cache's");
        Assert.True(File.Exists(Path.Combine(dir, "v1", FeatureCache.MarkerFileName)), "clear keeps the marker");
        Assert.Equal(0, new FeatureCache(dir).Stats.Entries);
    }

    [Fact]
    public void A_cache_from_before_markers_is_adopted_when_everything_in_it_verifies()
    {
        var dir = Dir("legacy");
        Filled(dir, 4);
        File.Delete(Path.Combine(dir, "v1", FeatureCache.MarkerFileName));

        var info = Cli.Run("cache", "info", "--cache-dir", dir);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains(": 4 entries", info.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "v1", FeatureCache.MarkerFileName)), "adoption writes the marker");

        var result = Cli.Run("cache", "clear", "--cache-dir", dir);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(0, EntryFiles(dir));
    }

    [Theory]
    [InlineData("damaged entry")]
    [InlineData("foreign file")]
    [InlineData("foreign marker")]
    public void A_v1_without_our_marker_and_with_anything_unverified_is_refused(string kind)
    {
        var dir = Dir("legacy-" + kind.Replace(' ', '-'));
        var cache = Filled(dir, 3);
        File.Delete(Path.Combine(dir, "v1", FeatureCache.MarkerFileName));
        var entry = cache.EntryPath(Hash(1), Id);
        switch (kind)
        {
            case "damaged entry":
                var bytes = File.ReadAllBytes(entry);
                bytes[40] ^= 1;
                File.WriteAllBytes(entry, bytes);
                break;
            case "foreign file":
                Write(Path.Combine(dir, "v1", "tmp", "draft.txt"));
                break;
            default:
                // another tool's cache tag: the signature without this cache's line
                Write(Path.Combine(dir, "v1", FeatureCache.MarkerFileName), "Signature: 8a477f597d28d172789f06886806bc55\n");
                break;
        }

        Cli.Run("cache", "clear", "--cache-dir", dir).AssertOneErrorNaming(dir);
        Assert.Equal(3, EntryFiles(dir));
        Assert.Throws<FeatureCacheException>(() => new FeatureCache(dir).Put(Hash(9), Id, Features(9)));
        Assert.Throws<FeatureCacheException>(() => new FeatureCache(dir).TryGet(Hash(1), Id, new float[512]));
        Assert.Equal(3, EntryFiles(dir));
    }

    [Fact]
    public void A_v1_that_is_a_symbolic_link_is_not_followed()
    {
        var real = Dir("real");
        Filled(real, 3);
        var dir = Dir("linked");
        Directory.CreateSymbolicLink(Path.Combine(dir, "v1"), Path.Combine(real, "v1"));
        Cli.Run("cache", "clear", "--cache-dir", dir).AssertOneErrorNaming(dir);
        Assert.Equal(3, EntryFiles(real));
    }

    [Fact]
    public void Eviction_deletes_only_entries()
    {
        var dir = Dir("evict");
        var cache = new FeatureCache(dir, maxBytes: 1L << 16); // room for 31 entries
        cache.Put(Hash(0), Id, Features(0));

        // foreign files a scan could mistake for entries: *.f32 in a shard folder, the oldest of all
        var foreign = Write(Path.Combine(dir, "v1", "ab", "thesis.f32"), new string('x', 4000));
        var foreignInDocs = Write(Path.Combine(dir, "v1", "docs", "thesis.f32"), new string('x', 4000));
        File.SetLastWriteTimeUtc(foreign, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        File.SetLastWriteTimeUtc(foreignInDocs, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        var fresh = new FeatureCache(dir, maxBytes: 1L << 16);
        for (int i = 1; i < 40; i++)
        {
            fresh.Put(Hash(i), Id, Features(i));
        }

        Assert.True(fresh.Stats.Evictions > 0);
        Assert.True(File.Exists(foreign), "eviction deleted a file the cache did not write");
        Assert.True(File.Exists(foreignInDocs), "eviction deleted a file the cache did not write");
        Assert.Equal(2, fresh.Stats.ForeignItems);
    }

    [Fact]
    public void Stale_temp_cleanup_deletes_only_the_cache_s_own_temp_files()
    {
        var dir = Dir("stale");
        var cache = Filled(dir, 1);
        var old = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var foreign = Write(Path.Combine(cache.TempDirectory, "draft.txt"));
        var ours = Write(Path.Combine(cache.TempDirectory, new string('a', 64) + ".123.abc.tmp"));
        File.SetLastWriteTimeUtc(foreign, old);
        File.SetLastWriteTimeUtc(ours, old);

        var info = Cli.Run("cache", "info", "--cache-dir", dir); // the first scan of a run cleans stale temp files
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("1 other item", info.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(foreign), "stale-temp cleanup deleted a file the cache did not write");
        Assert.False(File.Exists(ours), "a killed run's temp file older than an hour is cleaned up");
    }

    [Fact]
    public async Task A_fifo_at_an_entry_name_is_a_miss_not_a_hang()
    {
        var dir = Dir("fifo");
        var cache = Filled(dir, 1);
        var entry = cache.EntryPath(Hash(5), Id);
        Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
        HostileFiles.MakeFifo(entry);

        var lookup = Task.Run(() => new FeatureCache(dir).TryGet(Hash(5), Id, new float[512]));
        try
        {
            var finished = await Task.WhenAny(lookup, Task.Delay(TimeSpan.FromSeconds(10))) == lookup;
            Assert.True(finished, "a lookup blocked on a FIFO");
            Assert.False(await lookup);
        }
        finally
        {
            if (!lookup.IsCompleted)
            {
                // unblock the reader so the test process does not keep a hung thread
                using var writer = new FileStream(entry, FileMode.Open, FileAccess.Write);
            }
        }
    }

    [Fact]
    public async Task Clear_while_another_instance_writes_does_not_fail_the_writer()
    {
        var dir = Dir("busy");
        var writer = Filled(dir, 1);
        using var stop = new CancellationTokenSource();
        var clearing = Task.Run(() =>
        {
            var clearer = new FeatureCache(dir);
            for (int round = 0; round < 2000 && !stop.IsCancellationRequested; round++)
            {
                clearer.Clear();
            }
        });

        try
        {
            for (int i = 0; i < 1500; i++)
            {
                writer.Put(Hash(i), Id, Features(i));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await clearing.WaitAsync(TimeSpan.FromSeconds(60));
        }
    }
}
