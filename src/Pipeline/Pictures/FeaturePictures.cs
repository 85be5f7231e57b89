using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Files;
using ImageWorkbench.Runtime.Pictures;

namespace ImageWorkbench.Pipeline.Pictures;

/// <summary>
/// The text's edge-detection demonstration made real: an image's Sobel gx, gy and gradient magnitude, and a HOG glyph
/// picture (one line per orientation bin in each cell, brightness by the bin's weight), as PNGs.
/// </summary>
public static class FeaturePictures
{
    /// <summary>Writes <c>input.png</c>, <c>gx.png</c>, <c>gy.png</c>, <c>magnitude.png</c> and <c>hog.png</c> into <paramref name="outputFolder"/>, all at once.</summary>
    public static IReadOnlyList<string> Write(string imagePath, string outputFolder, string? featureSet = null)
    {
        if (FileChecks.WhyNotAFile(imagePath, "an image file") is { } notAFile)
        {
            throw new ImageDecodeException($"{imagePath}: {notAFile}");
        }

        // all five pictures or none: they are staged and moved in together
        using var staged = StagedFolder.Begin(outputFolder);
        var written = new List<string>();
        foreach (var (name, png) in Render(ImageSource.FromFile(imagePath), featureSet))
        {
            AtomicFile.WriteAllBytes(staged.Stage(name + ".png"), png);
            written.Add(staged.Final(name + ".png"));
        }

        staged.Commit();
        return written;
    }

    /// <summary>The pictures as (name, PNG bytes): input, gx, gy, magnitude, hog; at a feature set's input size when one is named.</summary>
    public static IReadOnlyList<(string Name, byte[] Png)> Render(ImageSource source, string? featureSet = null) =>
        FeaturePictureRenderer.Render(source, featureSet is null ? null : FeatureSetPresets.Get(featureSet).InputShape.Width);
}
