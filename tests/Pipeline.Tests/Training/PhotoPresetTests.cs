using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Pipelines.HandCrafted;
using ImageWorkbench.Pipeline.Training;

namespace ImageWorkbench.Pipeline.Tests.Training;

/// <summary>
/// The photo default, rgb64-v3: chosen for colour photos, and a package trained on it reloads through its own mapping
/// contract and predicts what the trained model was evaluated with.
/// </summary>
public sealed class PhotoPresetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("photo-preset-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

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
