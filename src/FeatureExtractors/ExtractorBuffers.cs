namespace ImageWorkbench.FeatureExtractors;

/// <summary>The argument checks every <see cref="IFeatureExtractor.Extract"/> makes, in one place.</summary>
internal static class ExtractorBuffers
{
    public static void Check(IFeatureExtractor extractor, ReadOnlySpan<float> image, Span<float> features)
    {
        CheckImage(extractor, image);

        if (features.Length < extractor.OutputLength)
        {
            throw new ArgumentException($"features buffer holds {features.Length} floats, {extractor.OutputLength} are needed", nameof(features));
        }
    }

    public static void CheckImage(IFeatureExtractor extractor, ReadOnlySpan<float> image)
    {
        if (image.Length != extractor.InputShape.Length)
        {
            throw new ArgumentException($"image buffer holds {image.Length} floats, a {extractor.InputShape} image needs {extractor.InputShape.Length}", nameof(image));
        }
    }
}
