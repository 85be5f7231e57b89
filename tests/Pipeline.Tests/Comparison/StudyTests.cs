using System.Text.Json;
using ImageWorkbench.Pipeline.Comparison;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pipelines.HandCrafted;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Pipeline.Tests.Reports;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Decoding;

namespace ImageWorkbench.Pipeline.Tests.Comparison;

/// <summary>Trainer selection on validation, learning curves and folds: what they may read, and the shapes they produce.</summary>
public class StudyTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    /// <summary>A small slice of the embedded set: 12 training and 4 test images per class (hand-crafted features take well under a second).</summary>
    private static ImageDataset Small() =>
        DatasetLoader.Load(EmbeddedDataset.Locate(), new DatasetOptions { MaxTrainPerClass = 12, MaxTestPerClass = 4, Seed = 3 }, new DataWarnings());

    private static StudyFeatures Store(ImageDataset data) =>
        new(new TrainingOptions { Pipeline = new HandCraftedPipeline(), Seed = 3 }, data, new DataWarnings(), null);

    private static List<LabeledImage> Items(params int[] perClass) =>
        [.. perClass.SelectMany((count, label) => Enumerable.Range(0, count).Select(i => new LabeledImage(ImageSource.FromRawPixels(new byte[1], 1, 1, 1, $"{Classes[label]}/{i:D3}"), label)))];

    [Fact]
    public void Folds_partition_the_items_stratified_balanced_and_seeded()
    {
        var items = Items(10, 7, 3);
        var folds = DatasetSplitter.Folds(items, Classes, 4, seed: 5);

        Assert.Equal(items.Count, folds.Length);
        Assert.All(folds, f => Assert.InRange(f, 0, 3));
        var sizes = Enumerable.Range(0, 4).Select(f => folds.Count(x => x == f)).ToArray();
        Assert.True(sizes.Max() - sizes.Min() <= 1, $"fold sizes {string.Join(",", sizes)}");
        for (var label = 0; label < 3; label++)
        {
            var perFold = Enumerable.Range(0, 4).Select(f => items.Where((item, i) => item.Label == label && folds[i] == f).Count()).ToArray();
            Assert.True(perFold.Max() - perFold.Min() <= 1, $"class {label} per fold {string.Join(",", perFold)}");
        }

        Assert.Equal(folds, DatasetSplitter.Folds(items, Classes, 4, seed: 5));
        Assert.NotEqual(folds, DatasetSplitter.Folds(items, Classes, 4, seed: 6));
    }

    [Fact]
    public void Cross_validation_splits_cover_train_once_and_never_hold_test_images()
    {
        var data = new ImageDataset("x", "x", Classes, Items(9, 9, 9), Items(2, 2, 2), hasOwnSplit: true, null);
        var held = new List<LabeledImage>();
        for (var fold = 0; fold < 3; fold++)
        {
            var (fit, part) = CrossValidation.Split(data, 3, seed: 1, fold);
            Assert.Equal(data.Train.Count, fit.Count + part.Count);
            Assert.Empty(fit.Intersect(part, ReferenceEqualityComparer.Instance));
            held.AddRange(part);
        }

        Assert.Equal(data.Train.Count, held.Distinct(ReferenceEqualityComparer.Instance).Count());
        Assert.Empty(held.Intersect(data.Test, ReferenceEqualityComparer.Instance));
    }

    [Fact]
    public void Learning_curve_subsets_are_nested_stratified_and_end_with_the_whole_split()
    {
        var data = new ImageDataset("x", "x", Classes, Items(30, 20, 8), [], hasOwnSplit: true, null);
        var subsets = LearningCurves.Subsets(data, [10, 2, 5, 25, LearningCurves.All, 30], seed: 9);

        // 25 and 30 and all: 30 is the largest class, so 30 and all are the same (whole) subset.
        Assert.Equal([2, 5, 10, 25, 30], subsets.Select(s => s.PerClass));
        Assert.True(subsets[^1].IsAll);
        Assert.Same(data.Train, subsets[^1].Images);
        for (var i = 0; i < subsets.Count; i++)
        {
            var images = subsets[i].Images;
            for (var label = 0; label < 3; label++)
            {
                var classSize = data.Train.Count(x => x.Label == label);
                Assert.Equal(Math.Min(subsets[i].PerClass, classSize), images.Count(x => x.Label == label));
            }

            if (i > 0)
            {
                Assert.Empty(subsets[i - 1].Images.Except(images, ReferenceEqualityComparer.Instance)); // nested: the smaller inside the bigger
            }
        }

        Assert.Equal(subsets.Select(s => s.Images.Select(x => x.Source.Name)), LearningCurves.Subsets(data, [10, 2, 5, 25, LearningCurves.All, 30], seed: 9).Select(s => s.Images.Select(x => x.Source.Name)));
    }

    [Fact]
    public void Selection_reads_training_images_only_and_test_labels_change_nothing()
    {
        var data = Small();
        var store = Store(data);
        TrainerKind[] candidates = [TrainerKind.Lbfgs, TrainerKind.LightGbm];
        var selection = TrainerSelector.Select(store, candidates, new DataWarnings(), null, CancellationToken.None);

        Assert.Equal(data.Train.Count, store.Featurized.Count);
        Assert.All(store.Featurized, image => Assert.Contains(image, data.Train));
        Assert.Empty(store.Featurized.Intersect(data.Test, ReferenceEqualityComparer.Instance));
        Assert.Equal(data.Train.Count, selection.FitCount + selection.ValidationCount);
        Assert.Equal(["lbfgs", "lightgbm"], selection.Candidates.Select(c => c.Trainer));
        Assert.Contains(selection.Chosen, selection.Candidates.Select(c => c.Trainer));
        Assert.Equal(selection.Candidates.Max(c => c.ValidationAccuracy), selection.Candidates.Single(c => c.Trainer == selection.Chosen).ValidationAccuracy);

        // The test split poisoned: every label shifted and the images swapped for blanks. Nothing about the choice moves.
        var poisoned = data.Test.Select(x => new LabeledImage(ImageSource.FromRawPixels(new byte[28 * 28], 28, 28, 1, x.Source.Name), (x.Label + 1) % data.Classes.Count)).ToList();
        var poisonedData = new ImageDataset(data.Name, data.Location, data.Classes, data.Train, poisoned, data.HasOwnSplit, data.NativeShape);
        var again = TrainerSelector.Select(Store(poisonedData), candidates, new DataWarnings(), null, CancellationToken.None);
        Assert.Equal(selection.Chosen, again.Chosen);
        Assert.Equal(selection.Candidates, again.Candidates);
    }

    [Fact]
    public void Learning_curve_and_folds_come_out_in_report_json_and_the_report()
    {
        var data = Small();
        var store = Store(data);
        var points = LearningCurves.Measure(store, TrainerKind.Lbfgs, [2, 6, LearningCurves.All], null, CancellationToken.None);
        var folds = CrossValidation.Run(store, TrainerKind.Lbfgs, 3, null, CancellationToken.None);

        Assert.Equal([2, 6, 12], points.Select(p => p.TrainPerClass));
        Assert.Equal([20, 60, 120], points.Select(p => p.TrainCount));
        Assert.All(points, p => Assert.Equal(data.Test.Count, p.TestCount));
        Assert.All(points, p => Assert.InRange(p.Accuracy, p.AccuracyCi95[0], p.AccuracyCi95[1]));
        Assert.Equal(3, folds.Metrics["accuracy"].Values.Count);
        Assert.InRange(folds.Metrics["accuracy"].Mean, 0, 1);
        Assert.True(folds.Metrics["accuracy"].Std >= 0);

        var selection = new TrainerSelection("handcrafted", data.Name, "lbfgs", [new("lbfgs", 0.8), new("sdca", 0.7)], 96, 24);
        var result = ReportFixtures.Result(ReportFixtures.HandCraftedRun() with { Trainer = "lbfgs" }) with { Studies = new ComparisonStudies([selection], points, [folds]) };
        using var json = JsonDocument.Parse(ReportJson.ToText(result));
        var point = json.RootElement.GetProperty("learningCurve")[0];
        Assert.Equal("handcrafted", point.GetProperty("pipeline").GetString());
        Assert.Equal(data.Name, point.GetProperty("datasetName").GetString());
        Assert.Equal(2, point.GetProperty("trainPerClass").GetInt32());
        Assert.Equal(points[0].Accuracy, point.GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(2, point.GetProperty("accuracyCi95").GetArrayLength());
        var chosen = json.RootElement.GetProperty("selection")[0];
        Assert.Equal("lbfgs", chosen.GetProperty("chosen").GetString());
        Assert.Equal(0.7, chosen.GetProperty("candidates")[1].GetProperty("validationAccuracy").GetDouble());
        var fold = json.RootElement.GetProperty("folds")[0];
        Assert.Equal(3, fold.GetProperty("k").GetInt32());
        Assert.Equal(3, fold.GetProperty("metrics").GetProperty("macroF1").GetProperty("values").GetArrayLength());

        var folder = ReportFixtures.TempFolder();
        try
        {
            ComparisonReport.Write(result, folder, new FakeReportImages());
            var markdown = File.ReadAllText(Path.Combine(folder, ComparisonReport.MarkdownFile));
            Assert.Contains("## Model choice", markdown, StringComparison.Ordinal);
            Assert.Contains("## Learning curve", markdown, StringComparison.Ordinal);
            Assert.Contains("## 3-fold cross-validation", markdown, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(folder, ComparisonReport.ImagesFolder, "learning-curve.png")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
