using ImageWorkbench.Pipeline.Pipelines.Cnn;

namespace ImageWorkbench.Pipeline.Tests.Cnn;

public sealed class FeatureCacheTests : IDisposable
{
    private const string Id = "resnet18-onnx-0.23.1/224/stretch/rgb";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cnn-featurecache-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static byte[] Hash(int i) => FeatureCache.HashContent(BitConverter.GetBytes(i));

    private static float[] Features(int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, 512).Select(_ => (float)rng.NextDouble()).ToArray();
    }

    [Fact]
    public void Miss_then_hit_and_reused_by_a_new_instance()
    {
        var cache = new FeatureCache(_dir);
        var buffer = new float[512];
        Assert.False(cache.TryGet(Hash(1), Id, buffer));
        cache.Put(Hash(1), Id, Features(1));
        Assert.True(cache.TryGet(Hash(1), Id, buffer));
        Assert.Equal(Features(1), buffer);

        // other featurizer id, other content: misses
        Assert.False(cache.TryGet(Hash(1), "resnet18-onnx-0.23.1/128/stretch/rgb", buffer));
        Assert.False(cache.TryGet(Hash(2), Id, buffer));
        Assert.Equal(new FeatureCacheStats(1, 512 * 4 + 16, 1, 3, 0), cache.Stats);

        var again = new FeatureCache(_dir);
        Assert.Equal(1, again.Stats.Entries);
        Assert.True(again.TryGet(Hash(1), Id, buffer));
        Assert.Equal(Features(1), buffer);
        Assert.StartsWith(_dir, cache.EntryPath(Hash(1), Id), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    [InlineData("empty")]
    public void Corrupted_entry_is_a_miss_and_is_deleted(string damage)
    {
        var cache = new FeatureCache(_dir);
        cache.Put(Hash(3), Id, Features(3));
        var path = cache.EntryPath(Hash(3), Id);
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "flip":
                bytes[100] ^= 0x40;
                File.WriteAllBytes(path, bytes);
                break;
            case "truncate":
                File.WriteAllBytes(path, bytes[..1000]);
                break;
            default:
                File.WriteAllBytes(path, []);
                break;
        }

        Assert.False(cache.TryGet(Hash(3), Id, new float[512]));
        Assert.False(File.Exists(path));
        Assert.Equal(0, cache.Stats.Entries);

        // and it can be stored again
        cache.Put(Hash(3), Id, Features(3));
        Assert.True(cache.TryGet(Hash(3), Id, new float[512]));
    }

    [Fact]
    public void Half_written_temp_file_is_ignored()
    {
        var cache = new FeatureCache(_dir);
        Directory.CreateDirectory(cache.TempDirectory);
        // what a process killed mid-write leaves: a partial temp file named after the entry
        var entryName = Path.GetFileName(Path.GetDirectoryName(cache.EntryPath(Hash(4), Id))) + Path.GetFileNameWithoutExtension(cache.EntryPath(Hash(4), Id));
        File.WriteAllBytes(Path.Combine(cache.TempDirectory, entryName + ".123.abc.tmp"), new byte[700]);

        var fresh = new FeatureCache(_dir);
        Assert.False(fresh.TryGet(Hash(4), Id, new float[512]));
        Assert.Equal(0, fresh.Stats.Entries);
        Assert.Equal(0, fresh.Stats.Bytes);
        fresh.Put(Hash(4), Id, Features(4));
        Assert.True(fresh.TryGet(Hash(4), Id, new float[512]));
    }

    [Fact]
    public void Size_bound_evicts_least_recently_used()
    {
        const int entryBytes = (512 * 4) + 16;
        var cache = new FeatureCache(_dir, maxBytes: 1L << 16); // room for 31 entries
        var buffer = new float[512];
        for (int i = 0; i < 31; i++)
        {
            cache.Put(Hash(i), Id, Features(i));
        }

        Assert.Equal(31, cache.Stats.Entries);
        Assert.True(cache.TryGet(Hash(0), Id, buffer)); // 0 becomes the most recently used
        cache.Put(Hash(100), Id, Features(100)); // over the bound: evict down to 90%

        var stats = cache.Stats;
        Assert.True(stats.Bytes <= (1L << 16) / 10 * 9, $"{stats.Bytes} bytes");
        Assert.Equal(stats.Entries * (long)entryBytes, stats.Bytes);
        Assert.True(stats.Evictions >= 3);
        Assert.True(cache.TryGet(Hash(0), Id, buffer), "recently used entry kept");
        Assert.True(cache.TryGet(Hash(100), Id, buffer), "newest entry kept");
        Assert.False(cache.TryGet(Hash(1), Id, buffer), "oldest entry evicted");
        Assert.Equal(stats.Entries, Directory.EnumerateFiles(Path.Combine(_dir, "v1"), "*.f32", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public void Clear_removes_everything()
    {
        var cache = new FeatureCache(_dir);
        for (int i = 0; i < 5; i++)
        {
            cache.Put(Hash(i), Id, Features(i));
        }

        cache.Clear();
        Assert.Equal(0, cache.Stats.Entries);
        Assert.Equal(0, cache.Stats.Bytes);
        Assert.False(cache.TryGet(Hash(2), Id, new float[512]));
        Assert.Equal(0, new FeatureCache(_dir).Stats.Entries);
    }

    [Fact]
    public void Concurrent_puts_and_gets_are_consistent()
    {
        var cache = new FeatureCache(_dir);
        Parallel.For(0, 64, i =>
        {
            cache.Put(Hash(i % 16), Id, Features(i % 16));
            var buffer = new float[512];
            Assert.True(cache.TryGet(Hash(i % 16), Id, buffer));
            Assert.Equal(Features(i % 16), buffer);
        });
        Assert.Equal(16, cache.Stats.Entries);
        Assert.Equal(16, new FeatureCache(_dir).Stats.Entries);
    }

    [Fact]
    public void Default_directory_honours_the_environment_variable()
    {
        var old = Environment.GetEnvironmentVariable(FeatureCache.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(FeatureCache.EnvironmentVariable, _dir);
            Assert.Equal(_dir, new FeatureCache().Directory);
            Environment.SetEnvironmentVariable(FeatureCache.EnvironmentVariable, null);
            Assert.EndsWith(Path.Combine("image-workbench", "features"), FeatureCache.DefaultDirectory(), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(FeatureCache.EnvironmentVariable, old);
        }
    }
}
