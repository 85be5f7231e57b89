using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Tests.Embedding;
using ImageWorkbench.Pipeline.Training.Torch;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.HandCrafted;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;
using SkiaSharp;

namespace ImageWorkbench.Pipeline.Tests.Training;

/// <summary>
/// The checks every network trained with TorchSharp and exported to ONNX must pass (cnn-scratch, cnn-finetune): the
/// ONNX scores equal TorchSharp's within 1e-4, and a saved model predicts the same labels from a process whose folder
/// holds no TorchSharp assembly and no LibTorch library (samples/ConsoleApp, which references the runtime only).
/// </summary>
internal static class TorchExportChecks
{
    /// <summary>The images as 8-bit PNG files of the model's input size in <paramref name="folder"/>, labels kept: decoded back, they are the query pixels.</summary>
    public static List<LabeledImage> WriteQueryPngs(IEnumerable<LabeledImage> images, ModelInput input, string folder) =>
        [.. images.Select((image, i) =>
        {
            var path = Path.Combine(folder, $"q{i}.png");
            File.WriteAllBytes(path, Png(image.Source, input));
            return new LabeledImage(ImageSource.FromFile(path), image.Label);
        })];

    public static void AssertOnnxMatchesTorchAlsoWithoutTorchSharp(
        float[] torchScores, byte[] onnx, ModelInput input, DecodedImages decoded, IReadOnlyList<string> classes, IReadOnlyList<LabeledImage> queries, string folder)
    {
        Assert.Equal(ImageModel.PredictedLabelColumn, OnnxClassifierScoring.PredictedLabelColumn);
        var ml = new MLContext(1);
        var pixels = ml.Data.LoadFromEnumerable(Array.Empty<PixelsRow>(), ModelInputPixels.PixelsSchema(input));
        var pixelsModel = OnnxClassifierScoring.Create(ml, onnx, classes, pixels);
        var rows = Enumerable.Range(0, decoded.Count).Select(i => new PixelsRow { Pixels = decoded.Pixels.AsSpan(i * decoded.Length, decoded.Length).ToArray() });
        var onnxScores = ml.Data.CreateEnumerable<ScoreRow>(pixelsModel.Transform(ml.Data.LoadFromEnumerable(rows, ModelInputPixels.PixelsSchema(input))), reuseRowObject: false)
            .SelectMany(r => r.Score).ToArray();
        Assert.Equal(torchScores.Length, onnxScores.Length);
        var worst = torchScores.Zip(onnxScores, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-4, $"ONNX scores differ from TorchSharp's by up to {worst}");

        var torchLabels = Enumerable.Range(0, decoded.Count)
            .Select(i => classes[System.Numerics.Tensors.TensorPrimitives.IndexOfMax(torchScores.AsSpan(i * classes.Count, classes.Count))]).ToArray();
        var modelPath = Path.Combine(folder, "model.zip");
        var (model, schema) = ImageModel.FromPixelsModel(ml, input, pixelsModel);
        ml.Model.Save(model, schema, modelPath);

        var appFolder = Path.GetDirectoryName(SampleBuild.Dll("ConsoleApp"))!;
        var torchFiles = Directory.EnumerateFiles(appFolder, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f).Contains("torch", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(torchFiles.Count == 0, "the runtime-only app carries: " + string.Join(", ", torchFiles));
        var appLabels = StandardModelFileTests.ConsoleAppLabels([modelPath, .. queries.Select(q => q.Source.Name)]);
        Assert.Equal(torchLabels, appLabels);
    }

    /// <summary>The image as an 8-bit PNG (grey or RGB) of the model's input size.</summary>
    private static byte[] Png(ImageSource source, ModelInput input)
    {
        var pixels = new float[input.Shape.Length];
        Assert.True(ModelInputPixels.TryDecode(source, input, ModelInputPixels.ParseResizeMode(input.ResizeMode), pixels, out var error), error);
        var plane = input.Width * input.Height;
        var grey = input.Channels == 1;
        using var bitmap = new SKBitmap(new SKImageInfo(input.Width, input.Height, grey ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque));
        static byte Byte(float v) => (byte)Math.Clamp(MathF.Round(v * 255), 0, 255);
        var bytes = grey
            ? pixels.Select(Byte).ToArray()
            : Enumerable.Range(0, plane).SelectMany(p => new[] { Byte(pixels[p]), Byte(pixels[plane + p]), Byte(pixels[(2 * plane) + p]), (byte)255 }).ToArray();
        System.Runtime.InteropServices.Marshal.Copy(bytes, 0, bitmap.GetPixels(), bytes.Length);
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
    }
}
