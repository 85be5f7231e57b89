using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pipelines.CnnScratch;
using ImageWorkbench.Pipeline.Tests.Data;
using ImageWorkbench.Pipeline.Tests.Embedding;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Pipeline.Training.Torch;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.HandCrafted;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;
using Microsoft.ML.Data;
using SkiaSharp;

namespace ImageWorkbench.Pipeline.Tests.CnnScratch;

/// <summary>
/// cnn-scratch on the embedded mini Fashion-MNIST: TorchSharp loads here (Debian 12 needs the build's GLIBCXX patch),
/// a few epochs learn, and the exported ONNX network predicts what TorchSharp predicts, also in a process whose folder
/// holds no TorchSharp and no LibTorch. Labels and scores within a tolerance only: trained weights differ across CPUs.
/// </summary>
[Collection("Console")]
public sealed class CnnScratchTests
{
    private static readonly CnnScratchOptions Quick = new() { Epochs = 3, Patience = 3, BatchSize = 64, Threads = 1 };

    [Fact]
    public void A_few_epochs_learn_the_mini_set_and_the_package_records_the_run()
    {
        var data = DatasetLoader.Load(MiniDatasetTests.MiniFolder());
        var folder = Directory.CreateTempSubdirectory("cnn-scratch-").FullName;
        try
        {
            var path = Path.Combine(folder, "model.zip");
            var options = new TrainingOptions { Pipeline = new CnnScratchPipeline(), PipelineOptions = [Quick] };
            var result = ModelTrainer.TrainAndSave(data, options, path, new DataWarnings());
            Assert.True(result.Test!.Accuracy > 0.5, $"test accuracy {result.Test.Accuracy} after 3 epochs (chance is 0.1)");
            Assert.Equal("cnn-scratch", result.Metadata.PipelineKind);
            Assert.Equal("small", result.Metadata.Extra["architecture"]);
            Assert.InRange(int.Parse(result.Metadata.Extra["bestEpoch"], System.Globalization.CultureInfo.InvariantCulture), 1, 3);

            var package = ModelPackage.Load(new MLContext(1), path);
            Assert.Equal(data.Classes, package.Metadata.Classes);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Cancelling_stops_at_the_next_batch_and_writes_nothing()
    {
        var data = DatasetLoader.Load(MiniDatasetTests.MiniFolder());
        var folder = Directory.CreateTempSubdirectory("cnn-scratch-cancel-").FullName;
        try
        {
            using var cancel = new CancellationTokenSource();
            var batchesAfterCancel = 0;
            var progress = new Hostile.HostileCancellationTests.Progress(p =>
            {
                if (p.Stage.StartsWith("training epoch", StringComparison.Ordinal))
                {
                    batchesAfterCancel += cancel.IsCancellationRequested ? 1 : 0;
                    cancel.Cancel();
                }
            });
            var options = new TrainingOptions { Pipeline = new CnnScratchPipeline(), PipelineOptions = [Quick] };
            var path = Path.Combine(folder, "model.zip");
            Assert.ThrowsAny<OperationCanceledException>(() => ModelTrainer.TrainAndSave(data, options, path, new DataWarnings(), progress, cancel.Token));
            Assert.Equal(0, batchesAfterCancel);
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_exported_onnx_predicts_like_torchsharp_also_in_a_process_without_torchsharp()
    {
        var data = DatasetLoader.Load(MiniDatasetTests.MiniFolder());
        var input = CnnScratchPipeline.InputFor(data);
        var warnings = new DataWarnings();
        var train = DecodedImages.Decode(data.Train, input, warnings, CancellationToken.None);
        var validation = DecodedImages.Decode(data.Test.Take(100).ToList(), input, warnings, CancellationToken.None);
        var folder = Directory.CreateTempSubdirectory("cnn-scratch-onnx-").FullName;
        try
        {
            // query images as PNG files, decoded back the way prediction decodes them
            var queries = data.Test.Skip(100).Take(40).Select((image, i) =>
            {
                var path = Path.Combine(folder, $"q{i}.png");
                File.WriteAllBytes(path, GreyPng(image.Source, input));
                return new LabeledImage(ImageSource.FromFile(path), image.Label);
            }).ToList();
            var decoded = DecodedImages.Decode(queries, input, warnings, CancellationToken.None);

            var (network, _, _) = ScratchTrainer.Train(Quick with { Epochs = 2 }, 7, data.Classes.Count, input, train, validation, null, CancellationToken.None);
            float[] torchScores;
            byte[] onnx;
            using (network)
            {
                torchScores = network.Predict(decoded.Pixels, decoded.Count);
                onnx = OnnxClassifierGraph.Build(input.Channels, input.Height, input.Width, network.ExportLayers(), data.Classes.Count, "test");
            }

            Assert.Equal(ImageModel.PredictedLabelColumn, OnnxClassifierScoring.PredictedLabelColumn);
            var ml = new MLContext(1);
            var pixels = ml.Data.LoadFromEnumerable(Array.Empty<PixelsRow>(), ModelInputPixels.PixelsSchema(input));
            var pixelsModel = OnnxClassifierScoring.Create(ml, onnx, data.Classes, pixels);
            var rows = Enumerable.Range(0, decoded.Count).Select(i => new PixelsRow { Pixels = decoded.Pixels.AsSpan(i * decoded.Length, decoded.Length).ToArray() });
            var onnxScores = ml.Data.CreateEnumerable<ScoreRow>(pixelsModel.Transform(ml.Data.LoadFromEnumerable(rows, ModelInputPixels.PixelsSchema(input))), reuseRowObject: false)
                .SelectMany(r => r.Score).ToArray();
            Assert.Equal(torchScores.Length, onnxScores.Length);
            var worst = torchScores.Zip(onnxScores, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst < 1e-4, $"ONNX scores differ from TorchSharp's by up to {worst}");

            var torchLabels = Enumerable.Range(0, decoded.Count)
                .Select(i => data.Classes[System.Numerics.Tensors.TensorPrimitives.IndexOfMax(torchScores.AsSpan(i * data.Classes.Count, data.Classes.Count))]).ToArray();
            var modelPath = Path.Combine(folder, "model.zip");
            var (model, schema) = ImageModel.FromPixelsModel(ml, input, pixelsModel);
            ml.Model.Save(model, schema, modelPath);

            // samples/ConsoleApp references the runtime only: its folder must hold no TorchSharp and no LibTorch
            var appFolder = Path.GetDirectoryName(SampleBuild.Dll("ConsoleApp"))!;
            var torchFiles = Directory.EnumerateFiles(appFolder, "*", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(f).Contains("torch", StringComparison.OrdinalIgnoreCase)).ToList();
            Assert.True(torchFiles.Count == 0, "the runtime-only app carries: " + string.Join(", ", torchFiles));
            var appLabels = StandardModelFileTests.ConsoleAppLabels([modelPath, .. queries.Select(q => q.Source.Name)]);
            Assert.Equal(torchLabels, appLabels);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The image as an 8-bit grey PNG of the model's input size.</summary>
    private static byte[] GreyPng(ImageSource source, ModelInput input)
    {
        var pixels = new float[input.Shape.Length];
        Assert.True(ModelInputPixels.TryDecode(source, input, FeatureExtractors.ResizeMode.Stretch, pixels, out var error), error);
        using var bitmap = new SKBitmap(new SKImageInfo(input.Width, input.Height, SKColorType.Gray8, SKAlphaType.Opaque));
        var bytes = pixels.Select(v => (byte)Math.Clamp(MathF.Round(v * 255), 0, 255)).ToArray();
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
