using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime.Decoding;

namespace ImageWorkbench.Pipeline.Tests.Data;

/// <summary>The embedded colour-photo set, datasets/caltech101-mini (see its ATTRIBUTION.md), and how embedded sets are found by name.</summary>
public class PhotoDatasetTests
{
    private static readonly string[] PhotoClasses = ["Faces_easy", "airplanes", "dolphin", "llama", "starfish", "watch"];

    [Fact]
    public void Photo_set_loads_with_six_classes_its_own_split_and_40_train_20_test_per_class()
    {
        var ds = DatasetLoader.Load(EmbeddedDataset.Locate(EmbeddedDataset.PhotosName));
        Assert.Equal("caltech101-mini", ds.Name);
        Assert.Equal(PhotoClasses.Order(StringComparer.Ordinal), ds.Classes.Order(StringComparer.Ordinal));
        Assert.True(ds.HasOwnSplit);
        Assert.Equal((240, 120), (ds.Train.Count, ds.Test.Count));
        Assert.All(Enumerable.Range(0, ds.Classes.Count), c =>
        {
            Assert.Equal(40, ds.Train.Count(i => i.Label == c));
            Assert.Equal(20, ds.Test.Count(i => i.Label == c));
        });
        Assert.Empty(ds.Train.Select(i => i.Source.Name).Intersect(ds.Test.Select(i => i.Source.Name)));
    }

    [Fact]
    public void Photo_set_is_colour_jpegs_of_at_most_224_pixels_and_small()
    {
        var folder = EmbeddedDataset.Locate(EmbeddedDataset.PhotosName);
        Assert.True(File.Exists(Path.Combine(folder, "ATTRIBUTION.md")), "the licence (CC BY 4.0) asks for attribution");
        var files = Directory.GetFiles(folder, "*.jpg", SearchOption.AllDirectories);
        Assert.Equal(360, files.Length);
        Assert.InRange(files.Sum(f => new FileInfo(f).Length), 1_000_000, 15_000_000);

        var shape = new ImageShape(32, 32, 3);
        var pixels = new float[shape.Width * shape.Height * 3];
        var plane = shape.Width * shape.Height;
        var colour = 0;
        foreach (var file in files)
        {
            var jpeg = File.ReadAllBytes(file);
            Assert.True(jpeg is [0xFF, 0xD8, 0xFF, ..], file);
            Assert.True(LongerSide(jpeg) is > 0 and <= 224, file);
            ImageDecoder.Default.Decode(ImageSource.FromFile(file), shape, ResizeMode.Stretch, pixels);
            var spread = Enumerable.Range(0, plane).Max(p => Math.Max(Math.Abs(pixels[p] - pixels[plane + p]), Math.Abs(pixels[p] - pixels[(2 * plane) + p])));
            colour += spread > 0.1f ? 1 : 0;
        }

        // A few Caltech-101 originals are greyscale (stored as RGB with equal channels); the rest are colour photos.
        Assert.InRange(colour, 330, 360);
    }

    [Fact]
    public void Embedded_sets_are_found_by_name_and_an_existing_path_is_kept()
    {
        Assert.Equal(["fashion-mnist-mini", "caltech101-mini"], EmbeddedDataset.Names);
        Assert.Equal(EmbeddedDataset.Locate(), EmbeddedDataset.Locate("fashion-mnist-mini"));
        Assert.Equal(EmbeddedDataset.Locate("caltech101-mini"), EmbeddedDataset.Resolve("caltech101-mini"));
        Assert.Equal([EmbeddedDataset.Locate(), EmbeddedDataset.Locate("caltech101-mini")], EmbeddedDataset.LocateAll());
        Assert.Equal("no-such-set", EmbeddedDataset.Resolve("no-such-set"));
        Assert.Throws<ArgumentException>(() => EmbeddedDataset.Locate("no-such-set"));

        using var dir = new TempDir();
        Assert.Equal(dir.Root, EmbeddedDataset.Resolve(dir.Root)); // an existing path is the user's data, whatever its name
    }

    /// <summary>The longer side from a JPEG's first start-of-frame marker (0 when none is found).</summary>
    private static int LongerSide(byte[] jpeg)
    {
        for (var i = 2; i + 8 < jpeg.Length;)
        {
            if (jpeg[i] != 0xFF)
            {
                return 0;
            }

            var marker = jpeg[i + 1];
            var length = (jpeg[i + 2] << 8) | jpeg[i + 3];
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                var height = (jpeg[i + 5] << 8) | jpeg[i + 6];
                var width = (jpeg[i + 7] << 8) | jpeg[i + 8];
                return Math.Max(width, height);
            }

            i += 2 + length;
        }

        return 0;
    }
}
