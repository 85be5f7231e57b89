using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Tests.Cli;

/// <summary>The CNN pipeline through the CLI on a small slice of the embedded data, with its own feature cache.</summary>
public sealed class CnnEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnn-e2e-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Train_saves_a_package_whose_predictions_match_the_training_evaluation_and_reuses_the_cache()
    {
        var modelPath = Path.Combine(_dir, "cnn.zip");
        var cacheDir = Path.Combine(_dir, "cache");
        string[] args = ["train", "--pipeline", "cnn", "--trainer", "lbfgs", "--max-train-per-class", "6", "--max-test-per-class", "3", "--cache-dir", cacheDir, "--out", modelPath];
        var first = new StringWriter();
        Assert.Equal(0, Program.Run(args, first, CancellationToken.None));

        var metadata = ModelPackage.ReadMetadata(modelPath);
        Assert.Equal("cnn", metadata.PipelineKind);
        Assert.Equal(512, metadata.FeatureLength);
        Assert.Equal(new ModelInput(224, 224, 3, "CenterCrop", 1f), metadata.Input);
        Assert.Equal("resnet18-onnx-0.23.1/224/centercrop/rgb", metadata.Extra["preprocessing"]);
        Assert.Equal(30, metadata.Training.TestCount);

        // The package (ONNX inside ML.NET) must agree with the engine + cache path that evaluated it in training.
        var data = DatasetLoader.Load(EmbeddedDataset.Locate(), new DatasetOptions { MaxTrainPerClass = 6, MaxTestPerClass = 3 }, new DataWarnings());
        using var classifier = ImageClassifier.Load(modelPath);
        var correct = data.Test.Count(image => classifier.Predict(image.Source).Label == data.Classes[image.Label]);
        Assert.Equal(metadata.Training.TestAccuracy!.Value, (double)correct / data.Test.Count, 9);
        Assert.InRange(metadata.Training.TestAccuracy!.Value, 0.4, 1.0); // 60 training images, 10 classes: well above chance

        // Second run: every image's features come from the cache, and the result is identical.
        var secondPath = Path.Combine(_dir, "cnn2.zip");
        Assert.Equal(0, Program.Run([.. args[..^1], secondPath], TextWriter.Null, CancellationToken.None));
        var second = ModelPackage.ReadMetadata(secondPath);
        Assert.Equal("60", second.Extra["featureCacheHits"]); // the 60 training images
        Assert.Equal(metadata.Training.TestAccuracy, second.Training.TestAccuracy);
    }
}
