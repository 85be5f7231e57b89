using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Pipelines.HandCrafted;
using ImageWorkbench.Pipeline.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Pipeline.Tests.Training;

/// <summary>
/// The <c>rff</c> head: known by name, trains, learns what no linear head can, is the hand-crafted default from
/// <see cref="HandCraftedPipeline.RffFromImages"/> training images, and the saved model predicts what the trained one
/// did (on the grey28-v2 preset, so its saved feature transform is loaded too).
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

    [Fact]
    public void The_kernel_part_learns_a_checkerboard_that_no_linear_head_can()
    {
        // Class = parity of (floor(x), floor(y)) on a 3x3 board, with two noise inputs: linear in nothing. A kernel as
        // wide as the data (gamma far below the median heuristic, as this head's first version had) stays near the linear
        // head's guess; a kernel of the data's own scale separates the squares.
        var ml = new MLContext(1);
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Checkerboard(ml, rows: 10, seed: 2));
        var data = toKey.Transform(Checkerboard(ml, rows: 1_500, seed: 3));
        var test = toKey.Transform(Checkerboard(ml, rows: 600, seed: 4));
        var rff = Accuracy(ml, Trainers.CreateHead(ml, TrainerKind.Rff, null, 1_500, Inputs).Fit(data), test);
        var linear = Accuracy(ml, Trainers.CreateHead(ml, TrainerKind.Lbfgs, null, 1_500, Inputs).Fit(data), test);

        Assert.True(linear < 0.7, $"the linear head scored {linear} on a checkerboard: the test data is not the non-linear problem it means to be");
        Assert.True(rff > 0.85, $"rff scored {rff} where the linear head scored {linear}: its kernel adds no non-linear power");
    }

    [Fact]
    public void The_hand_crafted_and_hybrid_default_head_is_rff_from_the_large_set_threshold_on_and_other_wings_keep_theirs()
    {
        var kernelWings = new[] { PipelineRegistry.Default, PipelineRegistry.Get("hybrid") };
        foreach (var wing in kernelWings)
        {
            Assert.Equal(TrainerKind.Lbfgs, wing.DefaultTrainerFor(PipelineRegistryTests.WithTrainImages(HandCraftedPipeline.RffFromImages - 1)));
            Assert.Equal(TrainerKind.Lbfgs, wing.DefaultTrainerFor(PipelineRegistryTests.WithTrainImages(1_000))); // the embedded sets: the default compare keeps its budget
            Assert.Equal(TrainerKind.Rff, wing.DefaultTrainerFor(PipelineRegistryTests.WithTrainImages(HandCraftedPipeline.RffFromImages)));
            Assert.Equal(TrainerKind.Rff, wing.DefaultTrainerFor(PipelineRegistryTests.WithTrainImages(60_000)));
        }

        foreach (var wing in PipelineRegistry.All.Where(w => !kernelWings.Contains(w)))
        {
            Assert.Equal(wing.DefaultTrainer, wing.DefaultTrainerFor(PipelineRegistryTests.WithTrainImages(60_000)));
        }
    }

    private const int Inputs = 4;

    private sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(Inputs)]
        public float[] Features { get; set; } = [];
    }

    private static IDataView Checkerboard(MLContext ml, int rows, int seed)
    {
        var random = new Random(seed);
        var list = new List<Row>(rows);
        for (var i = 0; i < rows; i++)
        {
            var features = new float[Inputs];
            for (var j = 0; j < Inputs; j++)
            {
                features[j] = (float)(random.NextDouble() * 3);
            }

            var parity = ((int)features[0] + (int)features[1]) % 2;
            list.Add(new Row { Label = parity == 0 ? "even" : "odd", Features = features });
        }

        return ml.Data.LoadFromEnumerable(list);
    }

    private static double Accuracy(MLContext ml, ITransformer model, IDataView test) =>
        ml.MulticlassClassification.Evaluate(model.Transform(test)).MacroAccuracy;
}
