using ImageWorkbench.Pipeline.Data;

namespace ImageWorkbench.Pipeline.Tests.Data;

public class ValidationSplitTests
{
    private static ImageDataset Load(TempDir dir) =>
        DatasetLoader.Load(dir.Root, new DatasetOptions { TestFraction = 0.2, Seed = 7 }, new DataWarnings());

    private static TempDir MakeClasses(int perClass)
    {
        var dir = new TempDir();
        foreach (string name in new[] { "a", "b", "c" })
        {
            for (int i = 0; i < perClass; i++)
            {
                dir.Write($"{name}/{i:D3}.png");
            }
        }

        return dir;
    }

    [Fact]
    public void Validation_is_carved_from_train_only_stratified_and_never_touches_test()
    {
        using var dir = MakeClasses(50);
        ImageDataset ds = Load(dir);
        ImageDataset carved = ds.CarveValidation(seed: 7, new DataWarnings());

        var test = ds.Test.Select(i => i.Source.Path).ToHashSet();
        Assert.DoesNotContain(carved.Train, i => test.Contains(i.Source.Path));
        Assert.DoesNotContain(carved.Test, i => test.Contains(i.Source.Path));
        Assert.Equal(ds.Train.Select(i => i.Source.Path).Order(), carved.Train.Concat(carved.Test).Select(i => i.Source.Path).Order());
        // 40 train images per class -> 8 validation images per class.
        Assert.All(Enumerable.Range(0, 3), c => Assert.Equal(8, carved.Test.Count(i => i.Label == c)));
    }

    [Fact]
    public void Same_seed_same_validation_split_and_a_different_seed_differs()
    {
        using var dir = MakeClasses(50);
        ImageDataset ds = Load(dir);
        string[] Names(int seed) => ds.CarveValidation(seed, new DataWarnings()).Test.Select(i => i.Source.Path!).ToArray();

        Assert.Equal(Names(3), Names(3));
        Assert.NotEqual(Names(3), Names(4));
    }

    [Fact]
    public void The_validation_stream_is_not_the_test_split_stream()
    {
        // Same seed for both splits: if they shared a random stream, validation would pick the images of the same
        // shuffled positions that the test split took from the full class.
        using var dir = MakeClasses(50);
        ImageDataset ds = Load(dir);
        ImageDataset again = ds.CarveValidation(seed: 7, new DataWarnings(), fraction: 0.2);
        Assert.NotEqual(ds.Test.Take(10).Select(i => Path.GetFileName(i.Source.Path)), again.Test.Take(10).Select(i => Path.GetFileName(i.Source.Path)));
    }
}
