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
        var options = run.Options;
        var cnn = options.OptionsOf<CnnPipelineOptions>();
        if (cnn?.Backbone is { } spec)
        {
            // any ONNX network: its graph (input and feature layer rewritten) goes into the model file
            var backbone = OnnxBackbone.Load(spec);
            var grey28 = backbone is { Width: 28, Height: 28, Channels: 1 };
            var input = new ModelInput(backbone.Width, backbone.Height, backbone.Channels, (cnn.Preprocessing?.ResizeMode ?? (grey28 ? ResizeMode.Stretch : CnnPreprocessing.Default.ResizeMode)).ToString(), 1f);
            if (!ImageDecodeMapping.IsSaveable(input))
            {
                throw new WorkbenchException($"{backbone.Path}: its input {backbone.Width}x{backbone.Height}x{backbone.Channels} (resize {input.ResizeMode}) has no saveable decode step: a backbone takes 28x28 grey (stretch) or S x S RGB with S a multiple of 32 from 32 to 1024");
            }

            var extra = new Dictionary<string, string>
            {
                ["network"] = "onnx-backbone",
                ["backbone"] = Path.GetFileName(backbone.Path),
                ["networkSha256"] = backbone.Sha256,
                ["networkInput"] = backbone.InputName,
                ["networkOutput"] = backbone.OutputName,
                ["preprocessing"] = backbone.Id,
            };
            return TrainWith(run, new OnnxBackboneFeaturizer(backbone), input, backbone.Id, backbone.Describe(), extra,
                pixels => backbone.CreateScoringTransformer(run.Ml, pixels, ImageRows.PixelsColumn, Trainers.FeaturesColumn));
        }

        var prep = cnn?.Preprocessing ?? CnnPreprocessing.Default;
        prep.Validate();
        var resnet = new Dictionary<string, string>
        {
            ["network"] = ResNet18Model.NetworkId,
            ["networkSha256"] = ResNet18Model.NetworkSha256, // the packaged file the saved CNN transform rebuilds its session from
            ["networkOutput"] = ResNet18Model.NetworkOutputName,
            ["preprocessing"] = prep.Id,
        };
        return TrainWith(run, EngineFor(options, prep), InputOf(prep), prep.Id, Describe(prep), resnet, _ => CreateSavedFeaturizer(run.Ml, prep));
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

    /// <summary>The featurizer saved in front of the head: the ONNX scoring transformer, network inside the model file.</summary>
    internal static ITransformer CreateSavedFeaturizer(MLContext ml, CnnPreprocessing prep) =>
        CnnScoringTransformer.Create(ml, prep, ImageRows.PixelsColumn, Trainers.FeaturesColumn);

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

    /// <summary>The featurizing engine for these options: their preprocessing on their device (CPU unless --device).</summary>
    private static ResNet18Featurizer EngineFor(TrainingOptions options, CnnPreprocessing prep) =>
        new(new ResNet18FeaturizerOptions { Preprocessing = prep, Device = options.OptionsOf<CnnPipelineOptions>()?.Device ?? CnnDevice.Cpu });

    /// <summary>The features <see cref="Train"/> computes (engine + cache), for any images: see <see cref="IReusableFeatures"/>.</summary>
    public static IReadOnlyList<float[]?> FeaturizeEach(FeatureRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options;
        var prep = options.OptionsOf<CnnPipelineOptions>()?.Preprocessing ?? CnnPreprocessing.Default;
        prep.Validate();
        var cache = options.UseFeatureCache ? new FeatureCache(options.CacheDirectory) : null;
        using var engine = EngineFor(options, prep);
        var all = FeaturizeRows(engine, cache, request.Images, InputOf(prep), request.Warnings, "featurizing (ResNet18)", request.Progress, request.CancellationToken);
        var length = ResNet18Model.FeatureLength;
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
