using System.Numerics.Tensors;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Pictures;

/// <summary>One layer's kernels as pictures: the kernels, their responses on one image, and one line per kernel.</summary>
/// <param name="KernelsPng">Every kernel, <see cref="KernelPictures.PixelsPerWeight"/> pixels per weight, row by row.</param>
/// <param name="ResponsesPng">Each kernel's response (corr2d) on the image, in the same order.</param>
/// <param name="Lines">What each kernel found (<see cref="KernelAnalysis"/>); none for the hand-made Sobel pair.</param>
public sealed record KernelView(byte[] KernelsPng, byte[] ResponsesPng, IReadOnlyList<string> Lines);

/// <summary>
/// The text's argument in pictures: the first-layer kernels a CNN learned, drawn at the same scale as the hand-made
/// Sobel x and y kernels (<see cref="PixelsPerWeight"/> pixels per weight; mid grey 0, white the kernel's largest
/// positive weight, black its largest negative; colour kernels in RGB), and each kernel's response on the same image
/// next to the Sobel responses (<see cref="Correlation.Corr2d(ReadOnlySpan{float}, int, int, Kernel2D, PaddingMode, Span{float}, int)"/>,
/// same size, edges replicated, on the image as the network sees it minus each channel's mean; mid grey 0, each response
/// scaled to its own largest magnitude).
/// </summary>
public static class KernelPictures
{
    /// <summary>Pixels per kernel weight in every kernel picture, Sobel's and the learned ones alike.</summary>
    public const int PixelsPerWeight = 12;

    /// <summary>Side of one response tile.</summary>
    private const int ResponseSide = 112;

    private const int Gap = 4;

    private const int Columns = 8;

    /// <summary>The model input the packaged ResNet18 sees when no model is given: 224 x 224 RGB, centre crop.</summary>
    public static ModelInput ResNet18Input { get; } = new(ResNet18Model.NativeInputSize, ResNet18Model.NativeInputSize, 3, nameof(ResizeMode.CenterCrop), 1f);

    /// <summary>
    /// The first convolution of a package's network: the network stored in it (cnn-scratch, an ONNX backbone) or the packaged
    /// ResNet18 it rebuilds its features from (cnn, hybrid); null for a package without one (hand-crafted) or one that
    /// cannot be read (the caller goes on without the pictures).
    /// </summary>
    public static ConvKernels? TryReadFirstLayer(string modelPath)
    {
        try
        {
            var metadata = ModelPackage.ReadMetadata(modelPath);
            foreach (var onnx in ModelPackage.ReadEmbeddedOnnxModels(modelPath))
            {
                if (OnnxGraphReader.Parse(onnx).FirstConvolution() is { } kernels)
                {
                    return kernels;
                }
            }

            return metadata.Extra.TryGetValue("network", out var network) && network == ResNet18Model.NetworkId ? ResNet18Model.FirstLayerKernels() : null;
        }
        catch (Exception ex) when (ex is WorkbenchException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The Sobel x and y kernels and their responses on <paramref name="image"/> decoded as <paramref name="input"/> (channels averaged).</summary>
    public static KernelView Sobel(ImageSource image, ModelInput input)
    {
        var sobel = new ConvKernels("Sobel", [.. Kernels.SobelX.Values, .. Kernels.SobelY.Values], 2, 1, 3, 3);
        return Render(sobel, image, input, lines: []);
    }

    /// <summary><paramref name="layer"/>'s kernels, their responses on <paramref name="image"/> decoded as <paramref name="input"/>, one line each.</summary>
    public static KernelView Learned(ConvKernels layer, ImageSource image, ModelInput input) =>
        Render(layer, image, input, KernelAnalysis.DescribeAll(layer));

    private static KernelView Render(ConvKernels layer, ImageSource image, ModelInput input, IReadOnlyList<string> lines)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(input);
        var planes = Decode(image, input, layer.Channels);
        return new KernelView(KernelGrid(layer), ResponseGrid(layer, planes, input.Width, input.Height), lines);
    }

    /// <summary>The image as the layer sees it: planar, <paramref name="channels"/> planes (grey averaged or repeated), each minus its mean.</summary>
    private static float[] Decode(ImageSource image, ModelInput input, int channels)
    {
        var decoded = new float[input.Shape.Length];
        if (!ModelInputPixels.TryDecode(image, input, ModelInputPixels.ParseResizeMode(input.ResizeMode), decoded, out var error))
        {
            throw new ImageDecodeException($"{image.Name}: {error ?? "cannot be decoded"}");
        }

        int plane = input.Width * input.Height;
        var planes = new float[channels * plane];
        for (int c = 0; c < channels; c++)
        {
            var target = planes.AsSpan(c * plane, plane);
            if (input.Channels == channels)
            {
                decoded.AsSpan(c * plane, plane).CopyTo(target);
            }
            else
            {
                for (int s = 0; s < input.Channels; s++)
                {
                    TensorPrimitives.Add(target, decoded.AsSpan(s * plane, plane), target);
                }

                TensorPrimitives.Multiply(target, 1f / input.Channels, target);
            }

            TensorPrimitives.Subtract(target, TensorPrimitives.Sum<float>(target) / plane, target);
        }

        return planes;
    }

    private static byte[] KernelGrid(ConvKernels layer)
    {
        int tileWidth = layer.Width * PixelsPerWeight, tileHeight = layer.Height * PixelsPerWeight;
        var (canvas, shape) = Canvas(layer.Count, tileWidth, tileHeight);
        int plane = layer.Height * layer.Width;
        for (int k = 0; k < layer.Count; k++)
        {
            var kernel = layer.Kernel(k);
            float scale = 0.5f / Math.Max(Math.Abs(TensorPrimitives.MaxMagnitude(kernel)), 1e-30f);
            var (left, top) = TileOrigin(k, tileWidth, tileHeight);
            for (int c = 0; c < 3; c++)
            {
                // grey kernels on every colour plane; the packaged ResNet18's B, G, R shown as R, G, B
                int source = layer.Channels != 3 ? 0 : layer.ChannelsBgr ? 2 - c : c;
                for (int y = 0; y < tileHeight; y++)
                {
                    for (int x = 0; x < tileWidth; x++)
                    {
                        float w = layer.Channels is 1 or 3
                            ? kernel[(source * plane) + ((y / PixelsPerWeight) * layer.Width) + (x / PixelsPerWeight)]
                            : ChannelMean(kernel, layer.Channels, plane, ((y / PixelsPerWeight) * layer.Width) + (x / PixelsPerWeight));
                        canvas[(c * shape.PlaneLength) + ((top + y) * shape.Width) + left + x] = 0.5f + (w * scale);
                    }
                }
            }
        }

        return PngWriter.Encode(canvas, shape);
    }

    private static byte[] ResponseGrid(ConvKernels layer, float[] planes, int width, int height)
    {
        var (canvas, shape) = Canvas(layer.Count, ResponseSide, ResponseSide);
        int plane = width * height;
        var response = new float[plane];
        var channel = new float[plane];
        var tile = new float[ResponseSide * ResponseSide];
        var sourceShape = new ImageShape(width, height, 1);
        var tileShape = new ImageShape(ResponseSide, ResponseSide, 1);
        int kernelPlane = layer.Height * layer.Width;
        for (int k = 0; k < layer.Count; k++)
        {
            response.AsSpan().Clear();
            var kernel = layer.Kernel(k);
            for (int c = 0; c < layer.Channels; c++)
            {
                var image = planes.AsSpan((layer.ChannelsBgr && layer.Channels == 3 ? 2 - c : c) * plane, plane);
                var weights = new Kernel2D(layer.Width, layer.Height, kernel.Slice(c * kernelPlane, kernelPlane));
                Correlation.Corr2d(image, width, height, weights, PaddingMode.Replicate, channel);
                TensorPrimitives.Add(response, channel, response);
            }

            Resampling.Resize(response, sourceShape, tile, tileShape, ResizeMode.Stretch);
            float scale = 0.5f / Math.Max(Math.Abs(TensorPrimitives.MaxMagnitude<float>(tile)), 1e-30f);
            var (left, top) = TileOrigin(k, ResponseSide, ResponseSide);
            for (int c = 0; c < 3; c++)
            {
                for (int y = 0; y < ResponseSide; y++)
                {
                    for (int x = 0; x < ResponseSide; x++)
                    {
                        canvas[(c * shape.PlaneLength) + ((top + y) * shape.Width) + left + x] = 0.5f + (tile[(y * ResponseSide) + x] * scale);
                    }
                }
            }
        }

        return PngWriter.Encode(canvas, shape);
    }

    private static float ChannelMean(ReadOnlySpan<float> kernel, int channels, int plane, int index)
    {
        float sum = 0;
        for (int c = 0; c < channels; c++)
        {
            sum += kernel[(c * plane) + index];
        }

        return sum / channels;
    }

    /// <summary>A white RGB canvas for <paramref name="count"/> tiles, <see cref="Columns"/> per row, <see cref="Gap"/> pixels apart.</summary>
    private static (float[] Canvas, ImageShape Shape) Canvas(int count, int tileWidth, int tileHeight)
    {
        int columns = Math.Min(count, Columns), rows = (count + Columns - 1) / Columns;
        var shape = new ImageShape((columns * (tileWidth + Gap)) + Gap, (rows * (tileHeight + Gap)) + Gap, 3);
        var canvas = new float[shape.Length];
        canvas.AsSpan().Fill(1f);
        return (canvas, shape);
    }

    private static (int Left, int Top) TileOrigin(int index, int tileWidth, int tileHeight) =>
        (Gap + ((index % Columns) * (tileWidth + Gap)), Gap + ((index / Columns) * (tileHeight + Gap)));
}
