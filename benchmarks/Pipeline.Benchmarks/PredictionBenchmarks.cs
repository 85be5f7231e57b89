using BenchmarkDotNet.Attributes;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Benchmarks;

/// <summary>
/// Single-image prediction through a saved package and <see cref="ImageClassifier"/>, as an app calls it. GlobalSetup
/// trains a small model on the embedded <c>datasets/fashion-mnist-mini</c> (hand-crafted: 20 images per class;
/// CNN: 3 per class, feature cache off, no test evaluation, 20 trainer iterations), so setup stays cheap; the
/// model's accuracy does not matter for its speed. Test images are predicted in turn.
/// </summary>
[MemoryDiagnoser]
public class PredictionBenchmarks
{
    private readonly List<ImageSource> _sources = [];
    private readonly List<float[]> _pixels = [];
    private ImageClassifier? _classifier;
    private string? _folder;
    private int _next;

    [Params("handcrafted", "cnn")]
    public string Pipeline { get; set; } = "handcrafted";

    [GlobalSetup]
    public void Setup()
    {
        var cnn = Pipeline == "cnn";
        var warnings = new DataWarnings();
        var data = DatasetLoader.Load(EmbeddedDataset.Locate(), new DatasetOptions { MaxTrainPerClass = cnn ? 3 : 20, MaxTestPerClass = 2 }, warnings);
        _folder = Directory.CreateTempSubdirectory("pipeline-benchmarks-").FullName;
        var modelPath = Path.Combine(_folder, $"{Pipeline}.zip");
        var options = new TrainingOptions
        {
            Pipeline = ImageWorkbench.Pipeline.Pipelines.PipelineRegistry.Get(Pipeline),
            EvaluateOnTest = false,
            UseFeatureCache = false,
            MaxIterations = 20,
        };
        ModelTrainer.TrainAndSave(data, options, modelPath, warnings);
        _classifier = ImageClassifier.Load(modelPath);

        var input = _classifier.Metadata.Input;
        var mode = Enum.Parse<FeatureExtractors.ResizeMode>(input.ResizeMode, ignoreCase: true);
        foreach (var image in data.Test)
        {
            var pixels = new float[input.Shape.Length];
            ImageDecoder.Default.Decode(image.Source, input.Shape, mode, pixels);
            for (var i = 0; i < pixels.Length && input.Scale != 1f; i++)
            {
                pixels[i] *= input.Scale; // the decoder gives 0..1; the model wants 0..Scale
            }

            _sources.Add(image.Source);
            _pixels.Add(pixels);
        }
    }

    /// <summary>Decode + resize + featurize + score: <see cref="ImageClassifier.Predict(ImageSource)"/>.</summary>
    [Benchmark(Description = "ImageClassifier.Predict (decode included)")]
    public Prediction Predict() => _classifier!.Predict(_sources[Next()]);

    /// <summary>Featurize + score on already decoded pixels: <see cref="ImageClassifier.PredictPixels"/>.</summary>
    [Benchmark(Description = "ImageClassifier.PredictPixels")]
    public Prediction PredictPixels() => _classifier!.PredictPixels(_pixels[Next()]);

    [GlobalCleanup]
    public void Cleanup()
    {
        _classifier?.Dispose();
        if (_folder is not null && Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private int Next()
    {
        var i = _next;
        _next = (_next + 1) % _sources.Count;
        return i;
    }
}
