using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>
/// Pictures the report cannot make from a <see cref="ComparisonResult"/> alone; the caller (which can read the data set and run the
/// feature extractors) supplies them. Every member may return nothing: the report then shows a placeholder or leaves the section out.
/// </summary>
public interface IReportImages
{
    /// <summary>A small PNG of one test image, identified by <see cref="Evaluation.ScoredImage.Name"/>; <c>null</c> when unavailable.</summary>
    byte[]? ThumbnailPng(string imageName);

    /// <summary>Captioned PNGs that show what the features look like (e.g. Sobel gx, gy, magnitude and HOG glyphs of a few examples), in display order.</summary>
    IReadOnlyList<(string Caption, byte[] Png)> FeatureExamples();

    /// <summary>The test image the learned kernels' and Sobel's responses are shown on; <c>null</c> leaves that section out.</summary>
    Runtime.Decoding.ImageSource? KernelExample() => null;
}

/// <summary>An <see cref="IReportImages"/> that has no pictures: galleries show placeholders and the feature section is left out.</summary>
public sealed class NoReportImages : IReportImages
{
    public static NoReportImages Instance { get; } = new();

    public byte[]? ThumbnailPng(string imageName) => null;

    public IReadOnlyList<(string Caption, byte[] Png)> FeatureExamples() => [];
}
