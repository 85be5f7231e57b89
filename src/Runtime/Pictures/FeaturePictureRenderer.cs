using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Runtime.Decoding;
using SkiaSharp;

namespace ImageWorkbench.Runtime.Pictures;

/// <summary>
/// The text's edge-detection demonstration made real: an image's Sobel gx, gy and gradient magnitude, and a HOG glyph
/// picture (one line per orientation bin in each cell, brightness by the bin's weight), as PNG bytes. Here, below the
/// workbench, so an app (the web sample's page) can show them too; <c>pipeline features</c> writes them to files.
/// </summary>
public static class FeaturePictureRenderer
{
    /// <summary>Pictures are enlarged to at least this many pixels on a side so 28x28 images stay visible.</summary>
    private const int MinDisplaySide = 224;

    /// <summary>The pictures as (name, PNG bytes): input, gx, gy, magnitude, hog.</summary>
    /// <param name="source">The image.</param>
    /// <param name="analysisSide">The side of the grey square the image is analysed at (e.g. a feature set's input); by default its own size for raw pixels, else 128.</param>
    public static IReadOnlyList<(string Name, byte[] Png)> Render(ImageSource source, int? analysisSide = null)
    {
        ArgumentNullException.ThrowIfNull(source);

        // Small images (IDX, icons) are shown at their own size; photos are analysed at 128x128 grey, the HOG
        // cell (8 px) then covers about what a 4 px cell covers on a 28x28 Fashion-MNIST item.
        var side = analysisSide ?? (source.Kind == ImageSourceKind.RawPixels ? Math.Max(source.RawWidth, source.RawHeight) : 128);
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
            ("hog", EncodePng(glyph, new ImageShape(glyphWidth, glyphHeight, 1))),
        ];
    }

    private static byte[] Enlarged(float[] plane, ImageShape shape)
    {
        if (shape.Width >= MinDisplaySide)
        {
            return EncodePng(plane, shape);
        }

        var factor = (MinDisplaySide + shape.Width - 1) / shape.Width;
        var large = new ImageShape(shape.Width * factor, shape.Height * factor, 1);
        var output = new float[large.Length];
        Resampling.Resize(plane, shape, output, large, ResizeMode.Stretch);
        return EncodePng(output, large);
    }

    /// <summary>PNG bytes of a planar image: 1 channel as grey, 3 as RGB. Values are clamped to 0..1.</summary>
    public static byte[] EncodePng(ReadOnlySpan<float> planar, ImageShape shape)
    {
        shape.Validate();
        if (planar.Length != shape.Length)
        {
            throw new ArgumentException($"expected {shape.Length} values for {shape}, got {planar.Length}", nameof(planar));
        }

        using var bitmap = new SKBitmap(new SKImageInfo(shape.Width, shape.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = new byte[shape.PlaneLength * 4];
        var plane = shape.PlaneLength;
        for (var i = 0; i < plane; i++)
        {
            var r = ToByte(planar[i]);
            var g = shape.Channels == 3 ? ToByte(planar[plane + i]) : r;
            var b = shape.Channels == 3 ? ToByte(planar[(2 * plane) + i]) : r;
            var o = i * 4;
            pixels[o] = r;
            pixels[o + 1] = g;
            pixels[o + 2] = b;
            pixels[o + 3] = 255;
        }

        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static byte ToByte(float value) => (byte)Math.Clamp((int)MathF.Round(value * 255f), 0, 255);
}
