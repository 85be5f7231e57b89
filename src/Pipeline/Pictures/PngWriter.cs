using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Runtime.Files;
using ImageWorkbench.Runtime.Pictures;

namespace ImageWorkbench.Pipeline.Pictures;

/// <summary>Encodes planar float images (values 0..1) as PNG through SkiaSharp.</summary>
public static class PngWriter
{
    /// <summary>PNG bytes of a planar image: 1 channel as grey, 3 as RGB. Values are clamped to 0..1.</summary>
    public static byte[] Encode(ReadOnlySpan<float> planar, ImageShape shape) => FeaturePictureRenderer.EncodePng(planar, shape);

    /// <summary>Writes a PNG atomically.</summary>
    public static void Write(string path, ReadOnlySpan<float> planar, ImageShape shape) => AtomicFile.WriteAllBytes(path, Encode(planar, shape));
}
