using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Pipelines.HandCrafted;
using ImageWorkbench.Pipeline.Training;

namespace ImageWorkbench.Pipeline.Tests.Training;

/// <summary>
/// The <c>rff</c> head: known by name, trains, and the saved model predicts what the trained one did (on the
/// grey28-v2 preset, so its saved feature transform is loaded too).
/// </summary>
public sealed class RandomFourierHeadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rff-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Rff_is_a_trainer_name()
    {
        Assert.True(Trainers.TryParse(" RFF ", out var kind));
        Assert.Equal(TrainerKind.Rff, kind);
        Assert.Equal("rff", Trainers.Name(TrainerKind.Rff));
        Assert.Contains("rff", Trainers.KnownNames.Split(", "));
    }

    [Fact]
    public void A_saved_rff_model_on_grey28_v2_predicts_the_labels_it_was_evaluated_with()
    {
        var data = DatasetLoader.Load(EmbeddedDataset.Locate(), new DatasetOptions { MaxTrainPerClass = 20, MaxTestPerClass = 4 }, new DataWarnings());
        var path = Path.Combine(_dir, "rff.zip");
        var options = new TrainingOptions { Pipeline = PipelineRegistry.Default, Trainer = TrainerKind.Rff, MaxIterations = 10,
            PipelineOptions = [new HandCraftedPipelineOptions { FeatureSet = FeatureSetPresets.Grey28V2Name }],
        };
        TrainingResult result = ModelTrainer.TrainAndSave(data, options, path, new DataWarnings());

        Assert.Equal("rff", result.Metadata.Trainer);
        Assert.Equal(FeatureSetPresets.Grey28V2Name, result.Metadata.FeatureSet);
        Assert.Equal(FeatureSetPresets.Grey28V2Length, result.Metadata.FeatureLength);
        Assert.NotNull(result.Test);
        Assert.True(result.Test!.Accuracy > 0.2, $"accuracy {result.Test.Accuracy} on 10 classes is no better than guessing");

        var accuracy = SavedPackageAccuracy.Of(path, data);
        Assert.Equal(result.Test.Accuracy, accuracy, 1e-9);
    }
}
