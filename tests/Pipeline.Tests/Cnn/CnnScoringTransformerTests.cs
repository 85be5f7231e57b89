using Microsoft.ML;
using Microsoft.ML.Data;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Runtime.Cnn;

namespace ImageWorkbench.Pipeline.Tests.Cnn;

public class CnnScoringTransformerTests : IClassFixture<EngineFixture>
{
    private readonly ResNet18Featurizer _engine;

    public CnnScoringTransformerTests(EngineFixture fixture) => _engine = fixture.Engine;

    internal static List<float[]> Features(ITransformer transformer, IDataView data, string column)
    {
        var output = transformer.Transform(data);
        return output.GetColumn<VBuffer<float>>(output.Schema[column]).Select(v => v.DenseValues().ToArray()).ToList();
    }

    [Fact]
    public void Saved_transformer_loads_elsewhere_and_equals_the_engine()
    {
        var images = new[] { CnnEngineTests.SyntheticImage(224, 30), CnnEngineTests.SyntheticImage(224, 31) };
        var expected = images.Select(i => _engine.Featurize(i)).ToArray();
        var prep = CnnPreprocessing.Default;

        var ml = new MLContext(seed: 1);
        var transformer = CnnScoringTransformer.Create(ml, prep, "Pixels", "Features");
        var data = CnnScoringTransformer.PixelRows(ml, prep, "Pixels", images);
        Assert.Equal(CnnScoringTransformer.FeaturesType, transformer.GetOutputSchema(data.Schema)["Features"].Type);
        var direct = Features(transformer, data, "Features");
        Assert.Equal(2, direct.Count);
        for (int i = 0; i < images.Length; i++)
        {
            Assert.Equal(512, direct[i].Length);
            Assert.True(CnnEngineTests.MaxAbsDiff(expected[i], direct[i]) < 1e-4f, $"image {i}: {CnnEngineTests.MaxAbsDiff(expected[i], direct[i])}");
        }

        string saveDir = Path.Combine(Path.GetTempPath(), "cnn-save-" + Guid.NewGuid().ToString("N"));
        string loadDir = Path.Combine(Path.GetTempPath(), "cnn-load-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(saveDir);
            Directory.CreateDirectory(loadDir);
            var saved = Path.Combine(saveDir, "cnn.zip");
            ml.Model.Save(transformer, data.Schema, saved);
            Assert.True(new FileInfo(saved).Length < 100_000, "the network is rebuilt from the packaged file, not copied into the zip");
            var moved = Path.Combine(loadDir, "moved.zip");
            File.Copy(saved, moved);
            Directory.Delete(saveDir, recursive: true);

            var fresh = new MLContext(seed: 2);
            var loaded = fresh.Model.Load(moved, out var inputSchema);
            Assert.Equal(prep.InputLength, ((VectorDataViewType)inputSchema["Pixels"].Type).Size);
            var reloaded = Features(loaded, CnnScoringTransformer.PixelRows(fresh, prep, "Pixels", images), "Features");
            for (int i = 0; i < images.Length; i++)
            {
                Assert.True(CnnEngineTests.MaxAbsDiff(expected[i], reloaded[i]) < 1e-4f, $"reloaded image {i}");
            }
        }
        finally
        {
            foreach (var dir in new[] { saveDir, loadDir })
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
        }
    }

    [Fact]
    public void Bgr_variant_differs_from_rgb()
    {
        var image = CnnEngineTests.SyntheticImage(224, 32);
        var ml = new MLContext(seed: 1);
        var prep = CnnPreprocessing.Default with { ChannelOrder = CnnChannelOrder.Bgr };
        var bgr = Features(CnnScoringTransformer.Create(ml, prep, "Pixels", "Features"), CnnScoringTransformer.PixelRows(ml, prep, "Pixels", [image]), "Features")[0];
        Assert.True(CnnEngineTests.MaxAbsDiff(_engine.Featurize(image), bgr) > 1e-2f);
        Assert.Equal("resnet18-onnx-0.23.1/224/centercrop/bgr", prep.Id);
        Assert.Equal("resnet18-onnx-0.23.1/224/centercrop/rgb", CnnPreprocessing.Default.Id);
        Assert.Equal("resnet18-onnx-0.23.1/128/stretch/rgb", new CnnPreprocessing(128, FeatureExtractors.ResizeMode.Stretch).Id);
    }
}
