namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// A worker that turns one planar image of a fixed <see cref="InputShape"/> into a fixed-length feature
/// vector. Instances own scratch buffers, so <see cref="Extract"/> allocates nothing, and they are not
/// thread-safe: create one per thread from the (immutable, thread-safe) options that made it.
/// </summary>
public interface IFeatureExtractor
{
    /// <summary>Stable, human-readable name including the options, e.g. <c>hog(cell=4,block=2,bins=9,unsigned)</c>.</summary>
    string Name { get; }

    /// <summary>The image shape this worker was created for.</summary>
    ImageShape InputShape { get; }

    /// <summary>Number of floats <see cref="Extract"/> writes.</summary>
    int OutputLength { get; }

    /// <summary>Writes <see cref="OutputLength"/> features for <paramref name="image"/> (planar, values 0..1).</summary>
    void Extract(ReadOnlySpan<float> image, Span<float> features);
}
