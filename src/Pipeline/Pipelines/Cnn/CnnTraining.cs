using System.Diagnostics;
using ImageWorkbench.FeatureExtractors;
using Microsoft.ML;
using Microsoft.ML.Data;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Files;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Pipelines.Cnn;

/// <summary>
/// The CNN pipeline: frozen ResNet18 features, computed once per image content through the fast engine and the
/// feature cache, then an ML.NET head. The saved chain is the ONNX scoring transformer (network inside the zip)
/// followed by the head, so a package predicts from pixels on its own.
/// </summary>
internal static class CnnTraining
{
    public static TrainingResult Train(TrainingRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var source = CnnFeatureSource.Of(run.Options); // the packaged ResNet18, or any ONNX network (--backbone) whose graph goes into the model file
        return TrainWith(run, source.CreateEngine(), source.Input, source.Id, source.Describe(), source.Metadata(),
            pixels => source.CreateSavedFeaturizer(run.Ml, pixels, Trainers.FeaturesColumn));
    }

    /// <summary>Featurizes train and test through <paramref name="engine"/> (which it disposes) and the cache, then fits the head.</summary>
    private static TrainingResult TrainWith(TrainingRun run, ICnnFeatureEngine engine, ModelInput input, string featureSet, string description, Dictionary<string, string> extra, Func<IDataView, ITransformer> createSavedFeaturizer)
    {
        var (ml, data, options, _, warnings, progress, cancellationToken) = run;
        var cache = options.UseFeatureCache ? new FeatureCache(options.CacheDirectory) : null;
        var pixels = ImageRows.Create(ml, [], input, data.Classes.Count, warnings, cancellationToken);
        var featureType = new VectorDataViewType(NumberDataViewType.Single, engine.FeatureLength);

        // Only one ONNX Runtime session at a time: the fast engine while featurizing and evaluating, then the
        // saved chain's OnnxTransformer. Each holds the network's weights and its own buffers, and creating a
        // session briefly needs several times the model size; with both alive, full Fashion-MNIST peaked near 2 GiB.
        using var owned = engine as IDisposable;
        var stopwatch = Stopwatch.StartNew();
        var train = Featurize(ml, engine, cache, data.Train, data.Classes.Count, input, featureType, warnings, $"featurizing ({engine.DisplayName})", progress, cancellationToken);
        var featurizeSeconds = stopwatch.Elapsed.TotalSeconds;
        warnings.ThrowIfOverThreshold(data.Train.Count, options.MaxBadImageFraction);
        extra["featureCacheHits"] = (cache?.Stats.Hits ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture);

        ITransformer CreateScoringFeaturizer()
        {
            owned?.Dispose(); // evaluation is done: free its session before the next one is made
            return createSavedFeaturizer(pixels);
        }

        return ModelTrainer.FitHead(run, new FeaturizedTrainingSet
        {
            Features = train,
            PixelsSchema = pixels.Schema,
            Input = input,
            FeatureSet = featureSet,
            FeatureSetDescription = description,
            FeatureLength = engine.FeatureLength,
            FeaturizeSeconds = featurizeSeconds,
            Extra = extra,
            CreateSavedFeaturizer = CreateScoringFeaturizer,
            EvaluateHead = head => Evaluate(ml, engine, cache, head, data.Test, data.Classes, input, featureType, warnings, progress, cancellationToken),
        });
    }

    /// <summary>The model input of a CNN package: planar RGB 0..1 at the network input size.</summary>
    public static ModelInput InputOf(CnnPreprocessing prep) => new(prep.InputSize, prep.InputSize, 3, prep.ResizeMode.ToString(), 1f);

    /// <summary>
    /// Evaluates a head on CNN features of <paramref name="images"/> (engine + cache: the same features the saved
    /// ONNX transformer computes, which a test checks, at the engine's speed).
    /// </summary>
    public static ClassificationMetrics Evaluate(MLContext ml, ICnnFeatureEngine engine, FeatureCache? cache, ITransformer head, IReadOnlyList<LabeledImage> images, IReadOnlyList<string> classes, ModelInput input, VectorDataViewType featureType, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var features = Featurize(ml, engine, cache, images, classes.Count, input, featureType, warnings, $"evaluating ({engine.DisplayName})", progress, cancellationToken);
        var (labels, scores, indices) = ModelScoring.Collect(head.Transform(features), cancellationToken);
        return ClassificationMetrics.Compute(classes, labels, scores, indices.Select(i => images[i].Source.Name).ToList());
    }

    /// <summary>Features of every readable image as a data view (Features, Label, Index); unreadable ones are skipped with a warning.</summary>
    public static IDataView Featurize(MLContext ml, ICnnFeatureEngine engine, FeatureCache? cache, IReadOnlyList<LabeledImage> images, int classCount, ModelInput input, VectorDataViewType featureType, DataWarnings warnings, string stage, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var features = FeaturizeRows(engine, cache, images, input, warnings, stage, progress, cancellationToken);

        // Compact the readable rows in place: the array FeaturizeAll filled is the only copy of the features.
        var rows = FeatureMatrix.KeepReadable(features, engine.FeatureLength, images.Count, i => (uint)images[i].Label);
        return rows.AsDataView(ml, featureType, classCount, cancellationToken);
    }

    /// <summary>
    /// Features of every image, row-major (<see cref="ResNet18Model.FeatureLength"/> floats each); an unreadable image's
    /// row is NaN and it is skipped with a warning. Also what <c>pipeline featurize</c> stores.
    /// </summary>
    internal static float[] FeaturizeRows(ICnnFeatureEngine engine, FeatureCache? cache, IReadOnlyList<LabeledImage> images, ModelInput input, DataWarnings warnings, string stage, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var mode = ModelInputPixels.ParseResizeMode(input.ResizeMode);
        var adapter = progress is null ? null : new Progress(stage, progress);
        var features = CnnFeaturizer.FeaturizeAll(
            engine,
            images,
            image => ContentHash(image.Source),
            (image, buffer) =>
            {
                if (ModelInputPixels.TryDecode(image.Source, input, mode, buffer, out var error))
                {
                    return true;
                }

                warnings.Skip(image.Source.Name, error ?? "cannot be decoded");
                return false;
            },
            cache,
            adapter,
            cancellationToken);
        adapter?.Finish();
        return features;
    }

    /// <summary>The features <see cref="Train"/> computes (engine + cache), for any images: see <see cref="IReusableFeatures"/>.</summary>
    public static IReadOnlyList<float[]?> FeaturizeEach(FeatureRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options;
        var source = CnnFeatureSource.Of(options);
        var cache = options.UseFeatureCache ? new FeatureCache(options.CacheDirectory) : null;
        var engine = source.CreateEngine();
        using var owned = engine as IDisposable;
        var all = FeaturizeRows(engine, cache, request.Images, source.Input, request.Warnings, $"featurizing ({source.DisplayName})", request.Progress, request.CancellationToken);
        var length = source.FeatureLength;
        return [.. Enumerable.Range(0, request.Images.Count).Select(i => float.IsNaN(all[i * length]) ? null : all.AsSpan(i * length, length).ToArray())];
    }

    /// <summary>
    /// What identifies an image's content for the cache: the SHA-256 of the encoded file bytes, or of the raw pixels
    /// (<see cref="FeatureCache.HashContent"/>). The file is read through the same bounded reader as the decoder
    /// (regular files only, opened without blocking, at most <see cref="ImageDecoder.MaxFileBytes"/>) and hashed as it
    /// is read, so a named pipe, a device or a huge file is refused here before any read, and a file near the limit
    /// costs no second copy beside its decode. A file that cannot be read gives null, which the cache skips; its decode
    /// then fails and reports why.
    /// </summary>
    internal static byte[]? ContentHash(ImageSource source) =>
        source.Kind != ImageSourceKind.File
            ? (source.Bytes.IsEmpty ? null : FeatureCache.HashContent(source.Bytes.Span))
            : FileChecks.HashAllBounded(source.Path!, "an image file", ImageDecoder.Default.MaxFileBytes, out _);

    internal static string Describe(CnnPreprocessing prep) =>
        $"ResNet18 (ImageNet, ONNX from Microsoft.ML.DnnImageFeaturizer.ResNet18 {ResNet18Model.PackageVersion}), frozen, output {ResNet18Model.NetworkOutputName} ({ResNet18Model.FeatureLength}); input {prep.InputSize}x{prep.InputSize} RGB, resize {prep.ResizeMode}, ImageNet mean-image subtraction inside the graph"
        + (prep.Precision == CnnPrecision.Int8 ? $"; int8 backbone ({ResNet18Int8.Version}: QDQ, per-channel int8 weights, uint8 activations calibrated on embedded training images)" : string.Empty);

    private sealed class Progress(string stage, IProgress<TrainingProgress> target) : IProgress<FeaturizeProgress>
    {
        private FeaturizeProgress _last;

        public void Report(FeaturizeProgress value)
        {
            _last = value;
            target.Report(new TrainingProgress(stage, value.Done, value.Total, value.ImagesPerSecond));
        }

        public void Finish() => target.Report(new TrainingProgress(stage, _last.Total, _last.Total, _last.ImagesPerSecond));
    }
}
