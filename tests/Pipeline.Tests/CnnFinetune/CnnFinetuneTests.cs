using System.Globalization;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Pipelines.CnnFinetune;
using ImageWorkbench.Pipeline.Tests.Training;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Pipeline.Training.Torch;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;

namespace ImageWorkbench.Pipeline.Tests.CnnFinetune;

/// <summary>
/// cnn-finetune on small subsets of the embedded sets: the packaged ResNet18 rebuilt in TorchSharp learns, and the
/// weights written back into the packaged ONNX graph predict what TorchSharp predicts (scores within 1e-4), also in a
/// process whose folder holds no TorchSharp and no LibTorch. The whole graph is compared, so this also checks that
/// the TorchSharp forward pass pads and pools as the CNTK export does.
/// </summary>
[Collection("Console")]
public sealed class CnnFinetuneTests
{
    private static readonly CnnFinetuneOptions Quick = new() { Epochs = 1, Patience = 1, BatchSize = 32, Threads = 1 };

    [Fact]
    public void The_exported_onnx_predicts_like_torchsharp_also_in_a_process_without_torchsharp()
    {
        var data = DatasetLoader.Load(EmbeddedDataset.Locate(), new DatasetOptions { MaxTrainPerClass = 8, MaxTestPerClass = 4 }, new DataWarnings());
        var input = CnnFinetunePipeline.InputFor(data, Quick);
        Assert.Equal((64, 1), (input.Width, input.Channels)); // 28x28 grey: upscaled, one plane fed to all three channels
        var warnings = new DataWarnings();
        var train = DecodedImages.Decode(data.Train, input, warnings, CancellationToken.None);
        var folder = Directory.CreateTempSubdirectory("cnn-finetune-onnx-").FullName;
        try
        {
            var queries = TorchExportChecks.WriteQueryPngs(data.Test.Take(24), input, folder);
            var decoded = DecodedImages.Decode(queries, input, warnings, CancellationToken.None);
            var plan = CnnFinetunePipeline.Plan(Quick, data.Classes.Count, input);
            var (network, epochs, _) = TorchWingTraining.Fit(plan, 7, train, decoded, null, CancellationToken.None);
            float[] torchScores;
            byte[] onnx;
            using (network)
            {
                Assert.Equal([0, 1], epochs.Select(e => e.Epoch)); // epoch 0: the linear probe (LP-FT)
                torchScores = TorchTrainer.Predict(network, decoded.Pixels, decoded.Count);
                onnx = plan.Export(network);
            }

            TorchExportChecks.AssertOnnxMatchesTorchAlsoWithoutTorchSharp(torchScores, onnx, input, decoded, data.Classes, queries, folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Fine_tuning_on_a_few_photos_learns_and_the_package_records_the_run()
    {
        var data = DatasetLoader.Load(EmbeddedDataset.Locate(EmbeddedDataset.PhotosName), new DatasetOptions { MaxTrainPerClass = 10, MaxTestPerClass = 5 }, new DataWarnings());
        var own = Quick with { Epochs = 2, InputSize = 64 };
        Assert.Equal(3, CnnFinetunePipeline.InputFor(data, own).Channels);
        var folder = Directory.CreateTempSubdirectory("cnn-finetune-").FullName;
        try
        {
            var path = Path.Combine(folder, "model.zip");
            var options = new TrainingOptions { Pipeline = PipelineRegistry.Get("cnn-finetune"), PipelineOptions = [own] };
            var result = ModelTrainer.TrainAndSave(data, options, path, new DataWarnings());
            Assert.True(result.Test!.Accuracy > 0.4, $"test accuracy {result.Test.Accuracy} after 2 epochs on 8 photos per class (chance is 1/6)");
            Assert.Equal("cnn-finetune", result.Metadata.PipelineKind);
            Assert.Equal("64", result.Metadata.Extra["inputSize"]);
            Assert.Equal("1", result.Metadata.Extra["trainedStages"]);
            Assert.StartsWith("0: ", result.Metadata.Extra["epochLog"], StringComparison.Ordinal); // the linear probe, then the fine-tuned epochs
            Assert.InRange(int.Parse(result.Metadata.Extra["epochs"], CultureInfo.InvariantCulture), 1, 2); // early stopping may keep the probe after one epoch
            var trained = long.Parse(result.Metadata.Extra["trainedParameters"], CultureInfo.InvariantCulture);
            var all = long.Parse(result.Metadata.Extra["parameters"], CultureInfo.InvariantCulture);
            Assert.InRange(trained, 8_000_000, all / 10 * 9); // the last stage (8.4 M of 11.2 M weights) and the head, not the rest

            var package = ModelPackage.Load(new MLContext(1), path);
            Assert.Equal(data.Classes, package.Metadata.Classes);
            Assert.DoesNotContain(PipelineRegistry.RunByDefault, p => p.Name == "cnn-finetune");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_linear_probe_fits_the_new_head_on_the_frozen_features_before_any_layer_learns()
    {
        var data = DatasetLoader.Load(EmbeddedDataset.Locate(EmbeddedDataset.PhotosName), new DatasetOptions { MaxTrainPerClass = 12, MaxTestPerClass = 6 }, new DataWarnings());
        var input = CnnFinetunePipeline.InputFor(data, Quick with { InputSize = 64 });
        var warnings = new DataWarnings();
        var train = DecodedImages.Decode(data.Train, input, warnings, CancellationToken.None);
        var validation = DecodedImages.Decode(data.Test, input, warnings, CancellationToken.None);
        TorchSharp.torch.set_num_threads(1);
        TorchSharp.torch.manual_seed(3);
        using var network = FinetuneNetwork.Create(input.Channels, input.Width, data.Classes.Count, trainedStages: 1);
        var before = TorchTrainer.Accuracy(network, validation, CancellationToken.None);
        var trainable = network.TrainableParameters().Take(4).Select(p => p.detach().clone()).ToList();
        var probe = LinearProbe.Fit(network, train, validation, null, CancellationToken.None);
        Assert.Equal(0, probe.Epoch);
        Assert.True(probe.ValidationAccuracy > 0.6, $"linear probe validation accuracy {probe.ValidationAccuracy} on 6 classes (random head: {before})");
        // the summary is the network's own accuracy (the standardisation folded into the head), and only the head moved
        Assert.Equal(probe.ValidationAccuracy, TorchTrainer.Accuracy(network, validation, CancellationToken.None), 6);
        Assert.All(network.TrainableParameters().Take(4).Zip(trainable), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 0)));
    }
}
