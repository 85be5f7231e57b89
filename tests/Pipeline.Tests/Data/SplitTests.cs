using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Tests.Data;

public class SplitTests
{
    private static TempDir MakeClasses(params (string Name, int Count)[] classes)
    {
        var dir = new TempDir();
        foreach ((string name, int count) in classes)
        {
            for (int i = 0; i < count; i++)
            {
                dir.Write($"{name}/{i:D3}.png");
            }
        }

        return dir;
    }

    private static string[] TestNames(ImageDataset ds) =>
        ds.Test.Select(i => Path.GetRelativePath(ds.Location, i.Source.Path!)).ToArray();

    [Fact]
    public void Split_is_stratified_and_keeps_a_train_image_in_every_class()
    {
        using var dir = MakeClasses(("a", 30), ("b", 10), ("c", 2), ("d", 1));
        var warnings = new DataWarnings();
        ImageDataset ds = DatasetLoader.Load(dir.Root, new DatasetOptions { TestFraction = 0.2 }, warnings);

        int[] testPerClass = Enumerable.Range(0, 4).Select(c => ds.Test.Count(i => i.Label == c)).ToArray();
        int[] trainPerClass = Enumerable.Range(0, 4).Select(c => ds.Train.Count(i => i.Label == c)).ToArray();
        Assert.Equal([6, 2, 1, 0], testPerClass);
        Assert.Equal([24, 8, 1, 1], trainPerClass);
        Assert.Contains(warnings.Messages, m => m.StartsWith("warning: class 'd': has a single image", StringComparison.Ordinal));
        Assert.Empty(ds.Train.Select(i => i.Source.Path).Intersect(ds.Test.Select(i => i.Source.Path)));
    }

    [Fact]
    public void Same_seed_same_split_even_in_another_folder_and_another_seed_changes_it()
    {
        using var one = MakeClasses(("a", 40), ("b", 40));
        using var two = MakeClasses(("b", 40), ("a", 40)); // created in another order, at another path

        string[] first = TestNames(DatasetLoader.Load(one.Root, new DatasetOptions { Seed = 7 }, new DataWarnings()));
        string[] again = TestNames(DatasetLoader.Load(one.Root, new DatasetOptions { Seed = 7 }, new DataWarnings()));
        string[] elsewhere = TestNames(DatasetLoader.Load(two.Root, new DatasetOptions { Seed = 7 }, new DataWarnings()));
        string[] otherSeed = TestNames(DatasetLoader.Load(one.Root, new DatasetOptions { Seed = 8 }, new DataWarnings()));

        Assert.Equal(16, first.Length);
        Assert.Equal(first, again);
        Assert.Equal(first, elsewhere);
        Assert.NotEqual(first.Order(StringComparer.Ordinal), otherSeed.Order(StringComparer.Ordinal));
        Assert.Equal(16, otherSeed.Length);
        // a shuffle, not the first or last files of each class
        Assert.NotEqual(["a/000.png", "a/001.png", "a/002.png", "a/003.png", "a/004.png", "a/005.png", "a/006.png", "a/007.png"], first.Take(8));
    }

    [Fact]
    public void Max_per_class_subsamples_train_and_test_per_class()
    {
        using var dir = MakeClasses(("a", 50), ("b", 20), ("c", 3));
        var options = new DatasetOptions { MaxTrainPerClass = 10, MaxTestPerClass = 2, Seed = 1 };
        ImageDataset ds = DatasetLoader.Load(dir.Root, options, new DataWarnings());
        Assert.Equal([10, 10, 2], Enumerable.Range(0, 3).Select(c => ds.Train.Count(i => i.Label == c)));
        Assert.Equal([2, 2, 1], Enumerable.Range(0, 3).Select(c => ds.Test.Count(i => i.Label == c)));

        ImageDataset again = DatasetLoader.Load(dir.Root, options, new DataWarnings());
        Assert.Equal(ds.Train.Select(i => i.Source.Path), again.Train.Select(i => i.Source.Path));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    public void Test_fraction_must_be_strictly_between_zero_and_one(double fraction)
    {
        var e = Assert.Throws<WorkbenchException>(() => new DatasetOptions { TestFraction = fraction });
        Assert.Contains("test fraction must be between 0 and 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Max_per_class_must_be_positive()
    {
        Assert.Throws<WorkbenchException>(() => new DatasetOptions { MaxTrainPerClass = 0 });
        Assert.Throws<WorkbenchException>(() => new DatasetOptions { MaxTestPerClass = -1 });
        Assert.Equal(0.2, DatasetOptions.Default.TestFraction);
        Assert.Equal(42, DatasetOptions.Default.Seed);
    }
}
