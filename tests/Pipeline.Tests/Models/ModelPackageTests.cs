using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Tests.Models;

public sealed class ModelPackageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pkg-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Round_trip_keeps_metadata_and_scores()
    {
        var (ml, model, data) = TinyModel();
        var path = Path.Combine(_dir, "m.zip");
        ModelPackage.Save(ml, path, Metadata(), model, data.Schema);

        var loaded = ModelPackage.Load(new MLContext(1), path);
        Assert.Equal(Metadata().Classes, loaded.Metadata.Classes);
        Assert.Equal("lbfgs", loaded.Metadata.Trainer);
        Assert.NotEmpty(loaded.Metadata.ModelSha256);
        Assert.Equal(Scores(model, data), Scores(loaded.Model, data));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Missing_unrelated_truncated_and_tampered_files_are_clear_errors()
    {
        var (ml, model, data) = TinyModel();
        var good = Path.Combine(_dir, "good.zip");
        ModelPackage.Save(ml, good, Metadata(), model, data.Schema);

        var missing = Assert.Throws<ModelFormatException>(() => ModelPackage.Load(ml, Path.Combine(_dir, "nope.zip")));
        Assert.Contains("not found", missing.Message);
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "folder.zip")).FullName;
        Assert.Equal($"{folder}: is a folder, not a model file", Assert.Throws<ModelFormatException>(() => ModelPackage.Load(ml, folder)).Message);

        var truncated = Path.Combine(_dir, "truncated.zip");
        var bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        Assert.Contains("truncated.zip", Assert.Throws<ModelFormatException>(() => ModelPackage.Load(ml, truncated)).Message);

        var unrelated = Path.Combine(_dir, "unrelated.zip");
        using (var zip = ZipFile.Open(unrelated, ZipArchiveMode.Create))
        {
            using var w = new StreamWriter(zip.CreateEntry("readme.txt").Open());
            w.Write("hello");
        }

        Assert.Contains("not a model package", Assert.Throws<ModelFormatException>(() => ModelPackage.Load(ml, unrelated)).Message);

        // Change one byte of the ML.NET model's largest entry: the checksum must catch it.
        var tampered = Path.Combine(_dir, "tampered.zip");
        File.Copy(good, tampered);
        using (var zip = ZipFile.Open(tampered, ZipArchiveMode.Update))
        {
            var entry = zip.Entries.Where(e => e.FullName is not (ModelPackage.MetadataEntry or ModelPackage.ChecksumsEntry)).MaxBy(e => e.Length)!;
            var name = entry.FullName;
            byte[] inner;
            using (var s = entry.Open())
            using (var ms = new MemoryStream())
            {
                s.CopyTo(ms);
                inner = ms.ToArray();
            }

            inner[inner.Length / 2] ^= 0x5A;
            entry.Delete();
            using var o = zip.CreateEntry(name).Open();
            o.Write(inner);
        }

        Assert.Contains("checksum", Assert.Throws<ModelFormatException>(() => ModelPackage.Load(ml, tampered)).Message);
    }

    [Fact]
    public void Unknown_format_version_is_refused()
    {
        var (ml, model, data) = TinyModel();
        var path = Path.Combine(_dir, "future.zip");
        ModelPackage.Save(ml, path, Metadata() with { FormatVersion = ModelMetadata.CurrentFormatVersion + 1 }, model, data.Schema);
        var ex = Assert.Throws<ModelFormatException>(() => ModelPackage.Load(ml, path));
        Assert.Contains("format version", ex.Message);
    }

    [Fact]
    public void Generated_metadata_serializer_writes_what_the_reflection_serializer_wrote()
    {
        // Packages written before the serializer was generated at build time hold these bytes; their checksums
        // must keep matching, so the output may not change by a byte (property order, casing, indentation, enums).
        var reflection = new System.Text.Json.JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
        };
        var full = Metadata() with
        {
            ModelSha256 = "AB12",
            Training = Metadata().Training with { TestAccuracy = 0.85, TestCount = 500 },
            TrainingImages = new TrainingImageProfile { Sampled = 3, MinWidth = 28, MaxWidth = 30, MinHeight = 28, MaxHeight = 28, Colourfulness = 0.01, BrightnessLow = 0.1, BrightnessHigh = 0.9, BrightnessMean = 0.5, BrightnessStd = 0.2 },
            Extra = new Dictionary<string, string> { ["network"] = "resnet18" },
        };
        foreach (var metadata in new[] { Metadata(), full })
        {
            var expected = System.Text.Json.JsonSerializer.Serialize(metadata, reflection);
            Assert.Equal(expected, ModelPackage.SerializeMetadata(metadata));
            Assert.Equal(metadata.TrainingImages, System.Text.Json.JsonSerializer.Deserialize<ModelMetadata>(expected, reflection)!.TrainingImages);
        }

        // and the committed format 2 package still reads (its metadata.json was written by the reflection serializer)
        var legacy = ModelPackage.ReadMetadata(LegacyPackages.Format2HandCrafted);
        Assert.Equal(2, legacy.FormatVersion);
    }

    internal static ModelMetadata Metadata() => new()
    {
        PipelineKind = "handcrafted",
        FeatureSet = FeatureExtractors.FeatureSetPresets.Grey28V1Name, // the package checks the input shape against the feature set
        FeatureSetDescription = "test",
        FeatureLength = 3,
        Classes = ["x", "y"],
        Input = new ModelInput(28, 28, 1, "Stretch", 1f),
        Trainer = "lbfgs",
        Seed = 1,
        Dataset = "synthetic",
        Training = new TrainingSummary { TrainCount = 40, SkippedImages = 0, FeaturizeSeconds = 0, TrainSeconds = 0, TrainAccuracy = 1 },
        LibraryVersions = LibraryVersions.Current(),
        CreatedUtc = DateTimeOffset.UnixEpoch,
    };

    private static (MLContext Ml, ITransformer Model, IDataView Data) TinyModel()
    {
        var ml = new MLContext(3);
        var rows = Enumerable.Range(0, 40).Select(i => new Row { Features = [i % 2, (i * 7 % 5) / 5f, 1], Label = (uint)(i % 2) }).ToList();
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3);
        schema[nameof(Row.Label)].ColumnType = new KeyDataViewType(typeof(uint), 2);
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        return (ml, ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy().Fit(data), data);
    }

    private static List<float> Scores(ITransformer model, IDataView data) =>
        model.Transform(data).GetColumn<float[]>("Score").SelectMany(s => s).ToList();

    public sealed class Row
    {
        public float[] Features { get; set; } = [];

        public uint Label { get; set; }
    }
}
