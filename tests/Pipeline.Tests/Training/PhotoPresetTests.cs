using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Pipelines.HandCrafted;
using ImageWorkbench.Pipeline.Training;

namespace ImageWorkbench.Pipeline.Tests.Training;

/// <summary>
/// The default presets by data (grey28-v1, grey28-v2 from the kernel head's size on, rgb64-v3 for photos), and an rgb64-v3 package trained on it reloads through its own mapping
/// contract and predicts what the trained model was evaluated with.
/// </summary>
public sealed class PhotoPresetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("photo-preset-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Grey_28_sets_default_to_grey28_v1_until_the_kernel_head_takes_over_then_to_grey28_v2_and_photos_to_rgb64_v3_at_any_size()
    {
        var grey28 = new ImageShape(28, 28, 1);
        Assert.Equal(FeatureSetPresets.Grey28V1Name, HandCraftedPipeline.DefaultFeatureSet(PipelineRegistryTests.WithTrainImages(HandCraftedPipeline.RffFromImages - 1, grey28)));
        Assert.Equal(FeatureSetPresets.Grey28V2Name, HandCraftedPipeline.DefaultFeatureSet(PipelineRegistryTests.WithTrainImages(HandCraftedPipeline.RffFromImages, grey28)));
        Assert.Equal(FeatureSetPresets.Rgb64V3Name, HandCraftedPipeline.DefaultFeatureSet(PipelineRegistryTests.WithTrainImages(HandCraftedPipeline.RffFromImages)));
        Assert.Equal(FeatureSetPresets.Rgb64V3Name, HandCraftedPipeline.DefaultFeatureSet(PipelineRegistryTests.WithTrainImages(10, new ImageShape(32, 32, 3))));
        Assert.Equal(FeatureSetPresets.Rgb64V3Name, HandCraftedPipeline.DefaultFeatureSet(PipelineRegistryTests.WithTrainImages(HandCraftedPipeline.RffFromImages, new ImageShape(28, 28, 3))));
    }

    [Fact]
    public void Photos_default_to_rgb64_v3_and_its_saved_model_predicts_as_trained()
    {
        var data = DatasetLoader.Load(EmbeddedDataset.Locate("caltech101-mini"), new DatasetOptions { MaxTrainPerClass = 8, MaxTestPerClass = 4 }, new DataWarnings());
        Assert.Equal(FeatureSetPresets.Rgb64V3Name, HandCraftedPipeline.DefaultFeatureSet(data));
        var path = Path.Combine(_dir, "rgb64-v3.zip");
        var options = new TrainingOptions { Pipeline = PipelineRegistry.Default, Trainer = TrainerKind.Lbfgs, MaxIterations = 20 };
        TrainingResult result = ModelTrainer.TrainAndSave(data, options, path, new DataWarnings());

        Assert.Equal(FeatureSetPresets.Rgb64V3Name, result.Metadata.FeatureSet);
        Assert.Equal(FeatureSetPresets.Rgb64V3Length, result.Metadata.FeatureLength);
        Assert.NotNull(result.Test);
        Assert.True(result.Test!.Accuracy > 1.5 / data.Classes.Count, $"accuracy {result.Test.Accuracy} on {data.Classes.Count} classes is no better than guessing");
        Assert.Equal(result.Test.Accuracy, SavedPackageAccuracy.Of(path, data), 1e-9);
    }
}
