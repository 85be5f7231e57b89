using System.Runtime.CompilerServices;
using ImageWorkbench.Pipeline.Data;

namespace ImageWorkbench.Pipeline.Tests.Data;

public class MiniDatasetTests
{
    /// <summary>datasets/fashion-mnist-mini above the test binaries or, failing that, above this source file.</summary>
    internal static string MiniFolder([CallerFilePath] string sourceFile = "")
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? string.Empty })
        {
            for (var dir = new DirectoryInfo(start); dir is not null && start.Length > 0; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "datasets", "fashion-mnist-mini");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException("datasets/fashion-mnist-mini not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Bundled_mini_fashion_mnist_loads_with_ten_balanced_classes()
    {
        ImageDataset ds = DatasetLoader.Load(MiniFolder());
        Assert.Equal("fashion-mnist-mini", ds.Name);
        Assert.Equal(IdxFormat.FashionMnistClasses, ds.Classes);
        Assert.True(ds.HasOwnSplit);
        Assert.Equal(new FeatureExtractors.ImageShape(28, 28, 1), ds.NativeShape);
        Assert.Equal(1000, ds.Train.Count);
        Assert.Equal(500, ds.Test.Count);
        Assert.All(Enumerable.Range(0, 10), c =>
        {
            Assert.Equal(100, ds.Train.Count(i => i.Label == c));
            Assert.Equal(50, ds.Test.Count(i => i.Label == c));
        });
        Assert.Contains(ds.Train, i => i.Source.Bytes.Span.IndexOfAnyExcept((byte)0) >= 0);
    }

    [Fact]
    public void Subset_of_a_subset_round_trips_through_idx_writer()
    {
        ImageDataset mini = DatasetLoader.Load(MiniFolder());
        using var dir = new TempDir();
        string output = Path.Combine(dir.Root, "fashion-tiny");
        IdxSubsetSummary summary = DatasetSubsetter.WriteIdxSubset(mini, output, 3, 2, seed: 42);
        Assert.Equal((30, 20), (summary.TrainCount, summary.TestCount));

        ImageDataset tiny = DatasetLoader.Load(output);
        Assert.Equal(mini.Classes, tiny.Classes);
        var expected = DatasetLoader.Load(MiniFolder(), new DatasetOptions { MaxTrainPerClass = 3, MaxTestPerClass = 2 }, new DataWarnings());
        Assert.Equal(expected.Train.Select(i => (i.Label, i.Source.Bytes.ToArray())), tiny.Train.Select(i => (i.Label, i.Source.Bytes.ToArray())));
        Assert.Equal(expected.Test.Select(i => (i.Label, i.Source.Bytes.ToArray())), tiny.Test.Select(i => (i.Label, i.Source.Bytes.ToArray())));
    }

    [Fact]
    public void Subset_of_class_folders_decodes_to_28x28_grey()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 4; i++)
        {
            dir.Write($"src/red/{i}.png", TestData.Encode(10, 5, (_, _) => new SkiaSharp.SKColor(255, 0, 0)));
            dir.Write($"src/white/{i}.png", TestData.Encode(5, 5, (_, _) => SkiaSharp.SKColors.White));
        }

        ImageDataset ds = DatasetLoader.Load(dir.PathOf("src"), new DatasetOptions { TestFraction = 0.5 }, new DataWarnings());
        DatasetSubsetter.WriteIdxSubset(ds, dir.PathOf("out"), 10, 10, 1);
        ImageDataset back = DatasetLoader.Load(dir.PathOf("out"));
        Assert.Equal(["red", "white"], back.Classes);
        Assert.Equal(4, back.Train.Count);
        LabeledImage white = back.Train.First(i => i.Label == 1);
        Assert.All(white.Source.Bytes.ToArray(), b => Assert.Equal(255, b));
        LabeledImage red = back.Train.First(i => i.Label == 0);
        Assert.Equal(0, red.Source.Bytes.Span[0]);                     // letterbox row
        Assert.Equal(76, red.Source.Bytes.Span[(14 * 28) + 14]);      // 0.299 * 255, rounded
    }
}
