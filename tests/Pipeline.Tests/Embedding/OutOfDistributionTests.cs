using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pictures;
using ImageWorkbench.Pipeline.Tests.Cli;
using ImageWorkbench.Pipeline.Tests.Models;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Tests.Embedding;

/// <summary>A model records what it was trained on; inputs far outside that are flagged in the <see cref="Prediction"/>.</summary>
public sealed class OutOfDistributionTests(HandCraftedModelFixture model) : IClassFixture<HandCraftedModelFixture>
{
    /// <summary>A colourful RGB picture: stripes of saturated colours with some noise, like a photo's colour content.</summary>
    private static byte[] ColourPhoto(int side, int seed)
    {
        var shape = new ImageShape(side, side, 3);
        var planar = new float[shape.Length];
        var random = new Random(seed);
        var plane = shape.PlaneLength;
        for (var i = 0; i < plane; i++)
        {
            var band = (i % side) * 6 / side;
            planar[i] = band is 0 or 1 or 5 ? 0.9f : 0.1f + (0.2f * random.NextSingle());
            planar[plane + i] = band is 1 or 2 or 3 ? 0.8f : 0.1f + (0.2f * random.NextSingle());
            planar[(2 * plane) + i] = band is 3 or 4 or 5 ? 0.85f : 0.1f + (0.2f * random.NextSingle());
        }

        return PngWriter.Encode(planar, shape);
    }

    [Fact]
    public void A_grey_28_model_flags_colour_photos_and_not_its_own_test_images()
    {
        var profile = ModelPackage.ReadMetadata(model.ModelPath).TrainingImages;
        Assert.NotNull(profile);
        Assert.True(profile.Grey);
        Assert.Equal((28, 28, 28, 28), (profile.MinWidth, profile.MaxWidth, profile.MinHeight, profile.MaxHeight));

        using var classifier = ImageClassifier.Load(model.ModelPath);
        foreach (var (side, seed) in new[] { (28, 1), (28, 2), (224, 3), (640, 4) })
        {
            var p = classifier.Predict(ColourPhoto(side, seed), "photo.png");
            Assert.Contains("colour image", p.OutOfDistribution, StringComparison.Ordinal);
            Assert.Equal(side > 28, p.OutOfDistribution!.Contains("pixels", StringComparison.Ordinal));
        }

        var data = DatasetLoader.Load(EmbeddedDataset.Locate());
        var flagged = classifier.PredictMany(data.Test.Select(i => i.Source)).Count(r => r.Prediction!.OutOfDistribution is not null);
        Assert.True(flagged < data.Test.Count / 100.0, $"{flagged} of {data.Test.Count} of the model's own test images flagged");
    }

    [Fact]
    public void A_tiny_icon_is_flagged_for_a_model_of_larger_images()
    {
        var profile = TrainingImageProfile.Measure([.. Enumerable.Range(0, 20).Select(i => ImageSource.FromEncoded(ColourPhoto(200 + (10 * i), i), $"p{i}.png"))]);
        Assert.NotNull(profile);
        Assert.False(profile.Grey);
        Assert.Contains("16x16 pixels", profile.Check(new ImageFacts(16, 16, 0.3f, 0.4f)), StringComparison.Ordinal);
        Assert.Null(profile.Check(new ImageFacts(250, 300, 0.3f, (float)profile.BrightnessMean)));
    }

    [Fact]
    public void A_package_without_a_profile_still_loads_and_flags_nothing()
    {
        using var legacy = ImageClassifier.Load(LegacyPackages.Format2HandCrafted);
        Assert.Null(legacy.Metadata.TrainingImages);
        Assert.Null(legacy.Predict(ColourPhoto(224, 9), "photo.png").OutOfDistribution);
    }
}
