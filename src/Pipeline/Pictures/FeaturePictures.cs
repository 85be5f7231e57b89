using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Pictures;

/// <summary>
/// The text's edge-detection demonstration made real: an image's Sobel gx, gy and gradient magnitude, and a HOG glyph
/// picture (one line per orientation bin in each cell, brightness by the bin's weight), as PNGs.
/// </summary>
public static class FeaturePictures
{
    /// <summary>Pictures are enlarged to at least this many pixels on a side so 28x28 images stay visible.</summary>
    private const int MinDisplaySide = 224;

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

    /// <summary>The pictures as (name, PNG bytes): input, gx, gy, magnitude, hog.</summary>
    public static IReadOnlyList<(string Name, byte[] Png)> Render(ImageSource source, string? featureSet = null)
    {
        ArgumentNullException.ThrowIfNull(source);

        // Small images (IDX, icons) are shown at their own size; photos are analysed at 128x128 grey, the HOG
        // cell (8 px) then covers about what a 4 px cell covers on a 28x28 Fashion-MNIST item.
        var side = featureSet is not null
            ? FeatureSetPresets.Get(featureSet).InputShape.Width
            : source.Kind == ImageSourceKind.RawPixels ? Math.Max(source.RawWidth, source.RawHeight) : 128;
        var cellSize = side <= 32 ? 4 : 8;
        side = Math.Max(cellSize * 2, side / cellSize * cellSize);
        var shape = new ImageShape(side, side, 1);
        var grey = new float[shape.Length];
        ImageDecoder.Default.Decode(source, shape, ResizeMode.Pad, grey);

        var gx = new float[shape.PlaneLength];
        var gy = new float[shape.PlaneLength];
        var magnitude = new float[shape.PlaneLength];
        GradientImages.Render(grey, shape, gx, gy, magnitude);

        var hog = new HogOptions { CellSize = cellSize, BlockSize = 2, Bins = 9, Operator = GradientOperator.Sobel }.CreateHog(shape);
        var histograms = new float[hog.CellHistogramLength];
        hog.ComputeCellHistograms(grey, histograms);
        var glyphScale = Math.Max(1, (MinDisplaySide + side - 1) / side);
        var (glyphWidth, glyphHeight) = HogGlyph.GetOutputSize(hog.CellsX, hog.CellsY, cellSize, glyphScale);
        var glyph = new float[glyphWidth * glyphHeight];
        HogGlyph.Render(hog, histograms, glyphScale, glyph);

        return
        [
            ("input", Enlarged(grey, shape)),
            ("gx", Enlarged(gx, shape)),
            ("gy", Enlarged(gy, shape)),
            ("magnitude", Enlarged(magnitude, shape)),
            ("hog", PngWriter.Encode(glyph, new ImageShape(glyphWidth, glyphHeight, 1))),
        ];
    }

    private static byte[] Enlarged(float[] plane, ImageShape shape)
    {
        if (shape.Width >= MinDisplaySide)
        {
            return PngWriter.Encode(plane, shape);
        }

        var factor = (MinDisplaySide + shape.Width - 1) / shape.Width;
        var large = new ImageShape(shape.Width * factor, shape.Height * factor, 1);
        var output = new float[large.Length];
        Resampling.Resize(plane, shape, output, large, ResizeMode.Stretch);
        return PngWriter.Encode(output, large);
    }
}
