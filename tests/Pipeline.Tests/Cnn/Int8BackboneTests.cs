using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;
using Xunit.Abstractions;

namespace ImageWorkbench.Pipeline.Tests.Cnn;

/// <summary>
/// The int8 backbone (<c>--backbone-precision int8</c>): its range table is the calibration the docs describe, its
/// features stay close to the float network's on real images, and a saved model predicts with the same int8 network.
/// </summary>
public class Int8BackboneTests(ITestOutputHelper log)
{
    private static readonly ModelInput Input = new(224, 224, 3, nameof(ResizeMode.CenterCrop), 1f);

    /// <summary>The first <paramref name="perClass"/> training images per class of an embedded set, decoded as the CNN takes them.</summary>
    private static List<float[]> TrainImages(string set, int perClass)
    {
        var data = DatasetLoader.Load(EmbeddedDataset.Locate(set), new DatasetOptions { MaxTrainPerClass = perClass, MaxTestPerClass = 1 }, new DataWarnings());
        var images = new List<float[]>();
        foreach (var image in data.Train)
        {
            var pixels = new float[3 * 224 * 224];
            Assert.True(ModelInputPixels.TryDecode(image.Source, Input, ResizeMode.CenterCrop, pixels, out var error), error);
            images.Add(pixels);
        }

        return images;
    }

    [Fact]
    public void The_shipped_ranges_are_the_calibration_on_the_embedded_training_images()
    {
        using var collector = new RangeCollector(224, threads: 1);
        foreach (var set in EmbeddedDataset.Names)
        {
            foreach (var image in TrainImages(set, ResNet18Int8.CalibrationImagesPerClass))
            {
                collector.Add(image);
            }
        }

        Assert.Equal(80, collector.Images);
        var ranges = collector.Ranges();
        Assert.Equal(ResNet18Int8.Ranges.Keys.Order(StringComparer.Ordinal), ranges.Keys.Order(StringComparer.Ordinal));
        foreach (var (tensor, (min, max)) in ResNet18Int8.Ranges)
        {
            // same images, same float network: the same ranges up to ONNX Runtime's kernel choice on this CPU
            var (cMin, cMax) = ranges[tensor];
            Assert.True(Math.Abs(cMin - min) <= 1e-3 * (1 + Math.Abs(min)) && Math.Abs(cMax - max) <= 1e-3 * (1 + Math.Abs(max)), $"{tensor}: shipped ({min}, {max}), recomputed ({cMin}, {cMax})");
        }
    }

    [Fact]
    public void Int8_features_stay_close_to_the_float_features_and_the_network_is_deterministic()
    {
        Assert.Equal(ResNet18Int8.BuildNetwork(224, symbolicBatch: false), ResNet18Int8.BuildNetwork(224, symbolicBatch: false));
        Assert.NotEqual(CnnPreprocessing.Default.Id, (CnnPreprocessing.Default with { Precision = CnnPrecision.Int8 }).Id);
        Assert.Equal("resnet18-onnx-0.23.1/224/centercrop/rgb", CnnPreprocessing.Default.Id); // the float id (and so every cache) is unchanged

        using var fp32 = new ResNet18Featurizer(new ResNet18FeaturizerOptions { IntraOpThreads = 1 });
        using var int8 = new ResNet18Featurizer(new ResNet18FeaturizerOptions { IntraOpThreads = 1, Preprocessing = CnnPreprocessing.Default with { Precision = CnnPrecision.Int8 } });
        foreach (var set in EmbeddedDataset.Names)
        {
            // the test split: images the calibration never saw
            var data = DatasetLoader.Load(EmbeddedDataset.Locate(set), new DatasetOptions { MaxTrainPerClass = 1, MaxTestPerClass = 2 }, new DataWarnings());
            var cosines = new List<double>();
            var pixels = new float[3 * 224 * 224];
            foreach (var image in data.Test)
            {
                Assert.True(ModelInputPixels.TryDecode(image.Source, Input, ResizeMode.CenterCrop, pixels, out _));
                var a = fp32.Featurize(pixels);
                var b = int8.Featurize(pixels);
                Assert.All(b, v => Assert.True(float.IsFinite(v) && v >= 0, "features after a Relu and an average pool are finite and non-negative"));
                cosines.Add(System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b));
            }

            log.WriteLine($"{set}: cosine float vs int8 features, mean {cosines.Average():F4}, min {cosines.Min():F4} ({cosines.Count} test images)");
            Assert.True(cosines.Average() > 0.97, $"{set}: mean cosine {cosines.Average():F4}");
            Assert.True(cosines.Min() > 0.9, $"{set}: min cosine {cosines.Min():F4}");
        }
    }

    [Fact]
    public void A_saved_int8_transformer_loads_and_computes_the_int8_engines_features()
    {
        var prep = CnnPreprocessing.Default with { Precision = CnnPrecision.Int8 };
        var images = new[] { CnnEngineTests.SyntheticImage(224, 40), CnnEngineTests.SyntheticImage(224, 41) };
        using var engine = new ResNet18Featurizer(new ResNet18FeaturizerOptions { IntraOpThreads = 1, Preprocessing = prep });
        var expected = images.Select(i => engine.Featurize(i)).ToArray();

        var ml = new MLContext(seed: 1);
        var transformer = CnnScoringTransformer.Create(ml, prep, "Pixels", "Features");
        var data = CnnScoringTransformer.PixelRows(ml, prep, "Pixels", images);
        var path = Path.Combine(Path.GetTempPath(), "cnn-int8-" + Guid.NewGuid().ToString("N") + ".zip");
        try
        {
            ml.Model.Save(transformer, data.Schema, path);
            var loaded = new MLContext(seed: 2).Model.Load(path, out _);
            var reloaded = CnnScoringTransformerTests.Features(loaded, data, "Features");
            for (int i = 0; i < images.Length; i++)
            {
                Assert.True(CnnEngineTests.MaxAbsDiff(expected[i], reloaded[i]) < 1e-4f, $"image {i}: {CnnEngineTests.MaxAbsDiff(expected[i], reloaded[i])}");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
