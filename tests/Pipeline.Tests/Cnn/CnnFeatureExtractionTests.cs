using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Pipeline.Tests.Cnn;

/// <summary><c>ml.Transforms.ExtractCnnFeatures</c>: same features as the engine, saved without the network, reloaded, checked.</summary>
public class CnnFeatureExtractionTests : IClassFixture<EngineFixture>
{
    private readonly ResNet18Featurizer _engine;

    public CnnFeatureExtractionTests(EngineFixture fixture) => _engine = fixture.Engine;

    private static List<float[]> Column(ITransformer transformer, IDataView data, string column) => CnnScoringTransformerTests.Features(transformer, data, column);

    [Fact]
    public void Catalog_transform_equals_the_engine_and_a_fresh_context_loads_it_without_registration()
    {
        var images = new[] { CnnEngineTests.SyntheticImage(224, 40), CnnEngineTests.SyntheticImage(224, 41) };
        var expected = images.Select(i => _engine.Featurize(i)).ToArray();
        var ml = new MLContext(seed: 1);
        var data = CnnScoringTransformer.PixelRows(ml, CnnPreprocessing.Default, "Image", images);

        var transformer = ml.Transforms.ExtractCnnFeatures("Embedding", "Image", new CnnFeatureOptions { InputSize = 224 }).Fit(data);
        var outputSchema = transformer.GetOutputSchema(data.Schema);
        Assert.Equal(CnnScoringTransformer.FeaturesType, outputSchema["Embedding"].Type);
        Assert.Null(outputSchema.GetColumnOrNull(CnnPixelsRow.ColumnName)); // working columns are dropped
        Assert.Null(outputSchema.GetColumnOrNull(CnnFeaturesRow.ColumnName));
        var direct = Column(transformer, data, "Embedding");
        for (int i = 0; i < images.Length; i++)
        {
            Assert.True(CnnEngineTests.MaxAbsDiff(expected[i], direct[i]) < 1e-4f, $"image {i}: {CnnEngineTests.MaxAbsDiff(expected[i], direct[i])}");
        }

        using var saved = new MemoryStream();
        ml.Model.Save(transformer, data.Schema, saved);
        Assert.True(saved.Length < 100_000, $"the network is not copied into the model ({saved.Length} bytes)");

        // A new context has nothing registered: ML.NET finds the factory through the assembly name saved with the contract.
        var fresh = new MLContext(seed: 2);
        saved.Position = 0;
        var loaded = fresh.Model.Load(saved, out var inputSchema);
        Assert.Equal(3 * 224 * 224, ((VectorDataViewType)inputSchema["Image"].Type).Size);
        var reloaded = Column(loaded, CnnScoringTransformer.PixelRows(fresh, CnnPreprocessing.Default, "Image", images), "Embedding");
        for (int i = 0; i < images.Length; i++)
        {
            Assert.Equal(direct[i], reloaded[i]);
        }
    }

    [Fact]
    public void Another_input_size_follows_from_the_vector_length_and_equals_an_engine_of_that_size()
    {
        var prep = new CnnPreprocessing(128);
        var image = CnnEngineTests.SyntheticImage(128, 60);
        using var engine = new ResNet18Featurizer(new ResNet18FeaturizerOptions { Preprocessing = prep, IntraOpThreads = 1 });
        var ml = new MLContext(seed: 1);
        var data = CnnScoringTransformer.PixelRows(ml, prep, "Pixels", [image]);
        var features = Column(ml.Transforms.ExtractCnnFeatures("Features", "Pixels", CnnFeatureOptions.From(prep)).Fit(data), data, "Features")[0];
        Assert.True(CnnEngineTests.MaxAbsDiff(engine.Featurize(image), features) < 1e-4f);
    }

    [Fact]
    public void Fit_refuses_a_pixels_column_of_another_size()
    {
        var ml = new MLContext(seed: 1);
        var data = CnnScoringTransformer.PixelRows(ml, new CnnPreprocessing(128), "Pixels", []);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ExtractCnnFeatures("Features", "Pixels").Fit(data));
        Assert.Contains("3 x 224 x 224 = 150528", ex.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ExtractCnnFeatures("Features", "Nope").Fit(data));
        Assert.Contains("'Nope' not found", missing.Message, StringComparison.Ordinal);
        Assert.Throws<WorkbenchException>(() => ml.Transforms.ExtractCnnFeatures("Features", "Pixels", new CnnFeatureOptions { InputSize = 100 }));
        Assert.Throws<ArgumentException>(() => ml.Transforms.ExtractCnnFeatures(CnnFeaturesRow.ColumnName, "Pixels"));
    }

    [Fact]
    public void Options_and_preprocessing_convert_both_ways_and_contracts_name_network_and_channel_order()
    {
        var prep = new CnnPreprocessing(128, FeatureExtractors.ResizeMode.Pad, CnnChannelOrder.Bgr);
        Assert.Equal(prep, CnnFeatureOptions.From(prep).Preprocessing);
        Assert.Equal(CnnPreprocessing.Default, CnnFeatureOptions.Default.Preprocessing);
        Assert.Equal("ImageWorkbench.CnnFeatures/resnet18-onnx-0.23.1/rgb", CnnFeaturesRgbMapping.Contract);
        Assert.Equal("ImageWorkbench.CnnFeatures/resnet18-onnx-0.23.1/bgr", CnnFeaturesBgrMapping.Contract);
    }

    [Fact]
    public void Mapping_is_thread_safe_and_allocates_nothing_per_image_once_warm()
    {
        var mapping = CnnFeatureMapping.Create(CnnChannelOrder.Rgb);
        var images = Enumerable.Range(50, 4).Select(seed => CnnEngineTests.SyntheticImage(224, seed)).ToArray();
        var expected = images.Select(i => _engine.Featurize(i)).ToArray();

        var input = new CnnPixelsRow { Pixels = images[0] };
        var output = new CnnFeaturesRow();
        mapping(input, output); // warm: the engine, this thread's slot, the output array
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++)
        {
            mapping(input, output);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated for 3 images");

        // ML.NET may run the mapping on several threads at once: each gets its own rows, all share one session.
        var results = new float[images.Length][];
        Parallel.For(0, images.Length * 3, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
        {
            int i = k % images.Length;
            var row = new CnnFeaturesRow();
            mapping(new CnnPixelsRow { Pixels = images[i] }, row);
            Assert.True(CnnEngineTests.MaxAbsDiff(expected[i], row.Features) < 1e-4f, $"image {i}");
            results[i] = row.Features;
        });
        Assert.All(results, Assert.NotNull);
        Assert.Throws<InvalidOperationException>(() => mapping(new CnnPixelsRow { Pixels = new float[3 * 100 * 100] }, new CnnFeaturesRow()));
    }

    [Fact]
    public void A_damaged_replaced_or_missing_network_file_is_refused_naming_the_file()
    {
        var folder = Directory.CreateTempSubdirectory("cnn-network-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(ResNet18Model.ModelDirectory, "*.onnx", SearchOption.AllDirectories))
            {
                var target = Path.Combine(folder, Path.GetRelativePath(ResNet18Model.ModelDirectory, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }

            ResNet18Model.VerifyPackagedFiles(folder); // the shipped files pass

            var network = Path.Combine(folder, "ResNet18Onnx", "ResNet18.onnx");
            using (var stream = new FileStream(network, FileMode.Open, FileAccess.ReadWrite))
            {
                stream.Position = stream.Length / 2; // a weight deep inside: still a valid ONNX file, other features
                int b = stream.ReadByte();
                stream.Position--;
                stream.WriteByte((byte)(b ^ 0x40));
            }

            var damaged = Assert.Throws<WorkbenchException>(() => ResNet18Model.VerifyPackagedFiles(folder));
            Assert.Contains(network, damaged.Message, StringComparison.Ordinal);
            Assert.Contains("damaged or was replaced", damaged.Message, StringComparison.Ordinal);

            File.Delete(network);
            var missing = Assert.Throws<WorkbenchException>(() => ResNet18Model.VerifyPackagedFiles(folder));
            Assert.Contains(network, missing.Message, StringComparison.Ordinal);

            var mean = Path.Combine(folder, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
            File.WriteAllBytes(mean, [1, 2, 3]);
            var replaced = Assert.Throws<WorkbenchException>(() => ResNet18Model.ReadVerified(mean, ResNet18Model.PreprocessSha256));
            Assert.Contains(mean, replaced.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
