using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;

namespace ImageWorkbench.Pipeline.Tests.Cnn;

public sealed class CnnFeaturizerTests : IClassFixture<EngineFixture>, IDisposable
{
    private readonly ResNet18Featurizer _engine;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cnn-featurizeall-" + Guid.NewGuid().ToString("N"));

    public CnnFeaturizerTests(EngineFixture fixture) => _engine = fixture.Engine;

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private sealed class ListProgress : IProgress<FeaturizeProgress>
    {
        public List<FeaturizeProgress> Reports { get; } = [];

        public void Report(FeaturizeProgress value)
        {
            lock (Reports)
            {
                Reports.Add(value);
            }
        }
    }

    private static byte[] Key(int seed) => FeatureCache.HashContent(BitConverter.GetBytes(seed));

    private static void Decode(int seed, Span<float> image) => CnnEngineTests.SyntheticImage(224, seed).CopyTo(image);

    [Fact]
    public void Featurizes_every_item_then_answers_from_the_cache()
    {
        var items = new[] { 40, 41, 42, 43, 41 }; // the repeated content is featurized like the first one
        var cache = new FeatureCache(_dir);
        var progress = new ListProgress();
        var features = CnnFeaturizer.FeaturizeAll(_engine, items, Key, Decode, cache, progress, CancellationToken.None);
        Assert.Equal(items.Length * 512, features.Length);
        for (int i = 0; i < items.Length; i++)
        {
            var expected = _engine.Featurize(CnnEngineTests.SyntheticImage(224, items[i]));
            Assert.True(CnnEngineTests.MaxAbsDiff(expected, features.AsSpan(i * 512, 512)) < 1e-4f, $"item {i}");
        }

        Assert.Equal(items.Length, progress.Reports[^1].Done);
        Assert.Equal(items.Length, progress.Reports[^1].Total);
        Assert.Equal(4, cache.Stats.Entries);

        var again = new ListProgress();
        int decoded = 0;
        var cached = CnnFeaturizer.FeaturizeAll(_engine, items, Key, (s, span) => { Interlocked.Increment(ref decoded); Decode(s, span); }, new FeatureCache(_dir), again, CancellationToken.None);
        Assert.Equal(0, decoded);
        Assert.Equal(items.Length, again.Reports[^1].CacheHits);
        Assert.Equal(features, cached);

        // without a cache it still works
        var uncached = CnnFeaturizer.FeaturizeAll(_engine, items[..2], Key, Decode, null, null, CancellationToken.None);
        Assert.True(CnnEngineTests.MaxAbsDiff(features.AsSpan(0, 1024), uncached) < 1e-4f);
    }

    [Fact]
    public void Cancellation_stops_and_leaves_a_consistent_cache()
    {
        var items = Enumerable.Range(50, 12).ToArray();
        var cache = new FeatureCache(_dir);
        using var cts = new CancellationTokenSource();
        int decoded = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => CnnFeaturizer.FeaturizeAll(
            _engine,
            items,
            Key,
            (s, span) =>
            {
                if (Interlocked.Increment(ref decoded) == 3)
                {
                    cts.Cancel();
                }

                Decode(s, span);
            },
            cache,
            null,
            cts.Token));
        Assert.True(decoded < items.Length, $"stopped early ({decoded} decoded)");
        Assert.Empty(Directory.Exists(cache.TempDirectory) ? Directory.GetFiles(cache.TempDirectory) : []);

        // a rerun completes, reuses what was stored, and every cached entry is valid
        var stored = cache.Stats.Entries;
        var progress = new ListProgress();
        var features = CnnFeaturizer.FeaturizeAll(_engine, items, Key, Decode, new FeatureCache(_dir), progress, CancellationToken.None);
        Assert.Equal(stored, progress.Reports[^1].CacheHits);
        for (int i = 0; i < items.Length; i += 5)
        {
            Assert.True(CnnEngineTests.MaxAbsDiff(_engine.Featurize(CnnEngineTests.SyntheticImage(224, items[i])), features.AsSpan(i * 512, 512)) < 1e-4f);
        }
    }

    [Fact]
    public void Decoder_errors_surface_unwrapped()
    {
        var ex = Assert.Throws<ImageDecodeException>(() => CnnFeaturizer.FeaturizeAll(
            _engine, new[] { 1, 2 }, Key, (_, _) => throw new ImageDecodeException("bad.jpg: truncated"), null, null, CancellationToken.None));
        Assert.Contains("bad.jpg", ex.Message, StringComparison.Ordinal);
    }
}
