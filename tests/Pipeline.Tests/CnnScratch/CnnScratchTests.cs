using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pipelines.CnnScratch;
using ImageWorkbench.Pipeline.Tests.Data;
using ImageWorkbench.Pipeline.Tests.Training;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Pipeline.Training.Torch;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;

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
            var queries = TorchExportChecks.WriteQueryPngs(data.Test.Skip(100).Take(40), input, folder);
            var decoded = DecodedImages.Decode(queries, input, warnings, CancellationToken.None);

            var (network, _, _) = ScratchTrainer.Train(Quick with { Epochs = 2 }, 7, data.Classes.Count, input, train, validation, null, CancellationToken.None);
            float[] torchScores;
            byte[] onnx;
            using (network)
            {
                torchScores = network.Predict(decoded.Pixels, decoded.Count);
                onnx = OnnxClassifierGraph.Build(input.Channels, input.Height, input.Width, network.ExportLayers(), data.Classes.Count, "test");
            }

            TorchExportChecks.AssertOnnxMatchesTorchAlsoWithoutTorchSharp(torchScores, onnx, input, decoded, data.Classes, queries, folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
