using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Tests.Training;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Cnn;

namespace ImageWorkbench.Pipeline.Tests.Hybrid;

/// <summary>The hybrid wing: registered, trains one head on both blocks, and its saved package predicts the same labels.</summary>
public sealed class HybridPipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hybrid-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_registry_lists_hybrid_after_the_two_sides()
    {
        Assert.Equal(["handcrafted", "cnn", "hybrid", "cnn-scratch", "cnn-finetune"], PipelineRegistry.All.Select(p => p.Name));
        Assert.True(PipelineRegistry.Get("hybrid").ComparisonRank > PipelineRegistry.Get("cnn").ComparisonRank);
    }

    [Fact]
    public void A_saved_hybrid_model_predicts_from_images_the_labels_it_was_evaluated_with()
    {
        var data = DatasetLoader.Load(EmbeddedDataset.Locate(), new DatasetOptions { MaxTrainPerClass = 8, MaxTestPerClass = 3 }, new DataWarnings());
        var path = Path.Combine(_dir, "hybrid.zip");
        var options = new TrainingOptions
        {
            Pipeline = PipelineRegistry.Get("hybrid"),
            MaxIterations = 20,
            UseFeatureCache = false,
            PipelineOptions = [new CnnPipelineOptions { Preprocessing = CnnPreprocessing.Default with { InputSize = 64 } }],
        };
        TrainingResult result = ModelTrainer.TrainAndSave(data, options, path, new DataWarnings());

        Assert.Equal("hybrid", result.Metadata.PipelineKind);
        Assert.Equal(FeatureSetPresets.Grey28V1Name, result.Metadata.FeatureSet);
        Assert.Equal(FeatureSetPresets.Grey28V1Length + ResNet18Model.FeatureLength, result.Metadata.FeatureLength);
        Assert.Equal((64, 3), (result.Metadata.Input.Width, result.Metadata.Input.Channels));
        Assert.NotNull(result.Test);

        // The package decodes each image at the CNN's input and computes both blocks inside the ML.NET graph; its
        // labels must be the ones the training run evaluated from the engine's and the extractor's features.
        var accuracy = SavedPackageAccuracy.Of(path, data);
        Assert.Equal(result.Test!.Accuracy, accuracy, 1e-9);
        Assert.True(result.Metadata.Training.TrainAccuracy > 0.5, $"train accuracy {result.Metadata.Training.TrainAccuracy}");
    }
}
