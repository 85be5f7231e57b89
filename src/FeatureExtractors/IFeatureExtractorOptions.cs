namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// Immutable, thread-safe description of a feature extractor (like an ImageSharp processor): it knows its
/// output length for an input shape and creates per-thread workers.
/// </summary>
public interface IFeatureExtractorOptions
{
    /// <summary>Stable name with every option that changes the output, e.g. <c>hog(cell=4,block=2,bins=9,unsigned,...)</c>.</summary>
    string Name { get; }

    /// <summary>Features produced for an image of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">the shape cannot be processed with these options.</exception>
    int GetOutputLength(ImageShape shape);

    /// <summary>Creates a worker (owns scratch buffers; one per thread).</summary>
    IFeatureExtractor CreateExtractor(ImageShape shape);
}
