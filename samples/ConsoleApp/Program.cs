// usage: ConsoleApp model.zip image...   A model `pipeline train` wrote is a standard ML.NET model: image bytes in.
// With --di first, the same through dependency injection (services.AddImageClassifier).
using ImageWorkbench.Runtime.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;

if (args[0] == "--di")
{
    using var services = new ServiceCollection().AddImageClassifier(args[1]).BuildServiceProvider();
    var classifier = services.GetRequiredService<ImageClassifier>();
    foreach (var image in args.Skip(2))
    {
        Console.WriteLine($"{image}: {classifier.Predict(image).Label}");
    }

    return;
}

var ml = new MLContext();
var model = ml.Model.Load(args[0], out _);
var engine = ml.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
foreach (var image in args.Skip(1))
{
    Console.WriteLine($"{image}: {engine.Predict(new ModelInput { ImageSource = File.ReadAllBytes(image) }).PredictedLabel}");
}

/// <summary>What ML.NET Model Builder's image-classification code declares: the image file's bytes.</summary>
internal sealed class ModelInput
{
    public byte[] ImageSource { get; set; } = [];
}

internal sealed class ModelOutput
{
    public string PredictedLabel { get; set; } = string.Empty;

    public float[] Score { get; set; } = [];
}
