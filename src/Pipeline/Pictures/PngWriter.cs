using ImageWorkbench.FeatureExtractors;
using SkiaSharp;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Pictures;

/// <summary>Encodes planar float images (values 0..1) as PNG through SkiaSharp.</summary>
public static class PngWriter
{
    /// <summary>PNG bytes of a planar image: 1 channel as grey, 3 as RGB. Values are clamped to 0..1.</summary>
    public static byte[] Encode(ReadOnlySpan<float> planar, ImageShape shape)
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

    /// <summary>Writes a PNG atomically.</summary>
    public static void Write(string path, ReadOnlySpan<float> planar, ImageShape shape) => AtomicFile.WriteAllBytes(path, Encode(planar, shape));

    private static byte ToByte(float value) => (byte)Math.Clamp((int)MathF.Round(value * 255f), 0, 255);
}
