using ImageWorkbench.FeatureExtractors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace ImageWorkbench.Runtime.HandCrafted;

/// <summary>
/// The hybrid pipeline's bridge from the CNN's input to a hand-crafted preset's: square planar RGB pixels (the CNN
/// input, already fitted to the square) stretched to the preset's shape, and made grey (0.299 R + 0.587 G + 0.114 B,
/// as the decoder does) when the preset is grey. A saved hybrid model decodes each image once, at the CNN's size, and
/// both feature blocks read those pixels. Each target shape is a custom mapping with its own contract
/// (<c>hybrid/pixels-WxHxC</c>) whose output column is <c>Pixels</c>, so the preset's mapping reads it next.
/// </summary>
public static class HybridPixels
{
    public const string ContractPrefix = "hybrid/pixels-";

    /// <summary>The target shapes with a contract: the hand-crafted presets' input shapes.</summary>
    public static bool Supports(ImageShape target) => target == Grey28.Shape || target == Rgb64.Shape;

    /// <summary>
    /// Writes <paramref name="target"/>-shaped pixels from square RGB <paramref name="source"/>; <paramref name="scratch"/>
    /// holds one source plane (used for grey targets).
    /// </summary>
    public static void Convert(ReadOnlySpan<float> source, Span<float> destination, ImageShape target, Span<float> scratch)
    {
        int side = (int)Math.Round(Math.Sqrt(source.Length / 3.0));
        if (side < 1 || side * side * 3 != source.Length)
        {
            throw new InvalidOperationException($"hybrid pixels take a square RGB image, got {source.Length} floats");
        }

        int plane = side * side;
        if (target.Channels == 3)
        {
            Resampling.Resize(source, new ImageShape(side, side, 3), destination, target, ResizeMode.Stretch);
            return;
        }

        Span<float> grey = scratch[..plane];
        ReadOnlySpan<float> r = source[..plane], g = source.Slice(plane, plane), b = source.Slice(2 * plane, plane);
        for (int i = 0; i < plane; i++)
        {
            grey[i] = r[i] == g[i] && g[i] == b[i] ? r[i] : (0.299f * r[i]) + (0.587f * g[i]) + (0.114f * b[i]);
        }

        Resampling.Resize(grey, new ImageShape(side, side, 1), destination, target, ResizeMode.Stretch);
    }

    /// <summary>The custom-mapping estimator (<c>Pixels</c> in, <c>Pixels</c> of <paramref name="target"/> out).</summary>
    public static IEstimator<ITransformer> CreateEstimator(TransformsCatalog catalog, ImageShape target)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (target == Grey28.Shape)
        {
            return catalog.CustomMapping(new Grey28().GetMapping(), Grey28.Contract);
        }

        if (target == Rgb64.Shape)
        {
            return catalog.CustomMapping(new Rgb64().GetMapping(), Rgb64.Contract);
        }

        throw new WorkbenchException($"the hybrid pipeline has no pixel bridge to {target}");
    }

    internal static Action<PixelsRow, TOut> CreateMapping<TOut>(ImageShape target, Func<TOut, float[]> get, Action<TOut, float[]> set)
    {
        var scratch = new ThreadLocal<float[]>(() => []);
        return (input, output) =>
        {
            var pixels = get(output);
            if (pixels.Length != target.Length)
            {
                pixels = new float[target.Length];
                set(output, pixels);
            }

            var buffer = scratch.Value!;
            if (buffer.Length < input.Pixels.Length / 3)
            {
                buffer = new float[input.Pixels.Length / 3];
                scratch.Value = buffer;
            }

            Convert(input.Pixels, pixels, target, buffer);
        };
    }

    public sealed class Grey28Pixels
    {
        [VectorType(28 * 28)]
        public float[] Pixels { get; set; } = [];
    }

    [CustomMappingFactoryAttribute(Contract)]
    public sealed class Grey28 : CustomMappingFactory<PixelsRow, Grey28Pixels>
    {
        public const string Contract = ContractPrefix + "28x28x1";

        public static ImageShape Shape { get; } = new(28, 28, 1);

        public override Action<PixelsRow, Grey28Pixels> GetMapping() => CreateMapping<Grey28Pixels>(Shape, o => o.Pixels, (o, p) => o.Pixels = p);
    }

    public sealed class Rgb64Pixels
    {
        [VectorType(64 * 64 * 3)]
        public float[] Pixels { get; set; } = [];
    }

    [CustomMappingFactoryAttribute(Contract)]
    public sealed class Rgb64 : CustomMappingFactory<PixelsRow, Rgb64Pixels>
    {
        public const string Contract = ContractPrefix + "64x64x3";

        public static ImageShape Shape { get; } = new(64, 64, 3);

        public override Action<PixelsRow, Rgb64Pixels> GetMapping() => CreateMapping<Rgb64Pixels>(Shape, o => o.Pixels, (o, p) => o.Pixels = p);
    }
}
