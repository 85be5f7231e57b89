using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.ML;

namespace ImageWorkbench.Runtime.Models;

/// <summary>
/// <c>services.AddImageClassifier("model.zip")</c>: one <see cref="ImageClassifier"/> for the app (thread-safe; it
/// pools its prediction engines), and the plain ML.NET view of the same loaded model for code that speaks ML.NET.
/// </summary>
public static class ImageClassifierServices
{
    /// <summary>
    /// Registers a singleton <see cref="ImageClassifier"/> loaded (verified, warmed up) from <paramref name="modelPath"/>
    /// on first use, and <see cref="ImageModelEngine"/>, prediction from <c>ImageSource</c> bytes through the saved
    /// ML.NET model itself. Resolve <see cref="ImageClassifier"/> at start-up to fail early on a bad model.
    /// </summary>
    public static IServiceCollection AddImageClassifier(this IServiceCollection services, string modelPath)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        services.TryAddSingleton(_ => ImageClassifier.Load(modelPath));
        services.TryAddSingleton(provider => new ImageModelEngine(provider.GetRequiredService<ImageClassifier>()));
        return services;
    }
}

/// <summary>
/// The saved ML.NET model as an app would use it with <c>mlContext.Model.Load</c>: <see cref="ImageModelInput"/> in,
/// <see cref="ImageModelOutput"/> out, decoding inside the graph. Thread-safe: ML.NET engines are not, so each call
/// borrows one from a pool.
/// </summary>
public sealed class ImageModelEngine
{
    private readonly MLContext _ml = new(seed: 0);
    private readonly ITransformer _model;
    private readonly System.Collections.Concurrent.ConcurrentBag<PredictionEngine<ImageModelInput, ImageModelOutput>> _engines = [];

    internal ImageModelEngine(ImageClassifier classifier)
    {
        _model = classifier.SavedModel;
    }

    public ImageModelOutput Predict(byte[] imageSource)
    {
        var engine = _engines.TryTake(out var pooled) ? pooled : _ml.Model.CreatePredictionEngine<ImageModelInput, ImageModelOutput>(_model);
        try
        {
            return engine.Predict(new ImageModelInput { ImageSource = imageSource });
        }
        finally
        {
            _engines.Add(engine);
        }
    }
}
