namespace ImageWorkbench.Pipeline.Data;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and fixed forever, unlike <see cref="Random"/>'s algorithm, so a seeded
/// draw (a split, a bootstrap resample) is the same on every machine and .NET version. Each stream is named: the same seed
/// gives independent draws for different names.
/// </summary>
internal sealed class SplitMix64
{
    private ulong _state;

    /// <param name="seed">The user's seed.</param>
    /// <param name="key">What the draw is for within the stream (a class name for splits); may be empty.</param>
    /// <param name="stream">The stream's name (e.g. "test", "validation", "bootstrap").</param>
    public SplitMix64(int seed, string key, string stream)
    {
        // FNV-1a over the stream name and key, mixed with the seed.
        ulong hash = 14695981039346656037UL;
        foreach (char ch in stream + "\0" + key)
        {
            hash = (hash ^ ch) * 1099511628211UL;
        }

        _state = hash ^ ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL);
    }

    /// <summary>A number in [0, <paramref name="exclusiveMax"/>).</summary>
    public int Next(int exclusiveMax)
    {
        // Lemire's multiply-shift; the bias for list sizes far below 2^32 is negligible and deterministic.
        return (int)(((NextUInt64() >> 32) * (ulong)exclusiveMax) >> 32);
    }

    private ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
