using ImageWorkbench.Runtime.Decoding;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace ImageWorkbench.Runtime.Models;

/// <summary>
/// The input of a saved model, as an app declares it for <c>mlContext.Model.CreatePredictionEngine</c>: the image
/// file's bytes under <c>ImageSource</c>, the name and type ML.NET Model Builder's image-classification code uses.
/// </summary>
public sealed class ImageModelInput
{
    public byte[] ImageSource { get; set; } = [];
}

/// <summary>A saved model's output: the predicted class name and one score per class (slot names are the class names).</summary>
public sealed class ImageModelOutput
{
    public string PredictedLabel { get; set; } = string.Empty;

    public float[] Score { get; set; } = [];
}

/// <summary>
/// How a trained pixels-to-scores chain becomes a standard ML.NET model: decode step in front (<c>ImageSource</c>
/// bytes to <c>Pixels</c>, <see cref="ImageDecodeMapping"/>), <c>PredictedLabel</c> mapped to the class name at the
/// end; and back, for the workbench, which decodes images itself.
/// </summary>
public static class ImageModel
{
    public const string PredictedLabelColumn = "PredictedLabel";

    public const string ScoreColumn = "Score";

    /// <summary>
    /// The chain saved in a package: decode, <paramref name="pixelsModel"/>, key-to-name. The label column the head was
    /// trained on must carry the class names (<see cref="ClassNames.Attach"/>), so <c>Score</c>'s slots are named.
    /// </summary>
    public static (ITransformer Model, DataViewSchema InputSchema) FromPixelsModel(MLContext ml, ModelInput input, ITransformer pixelsModel)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(pixelsModel);
        var images = ml.Data.LoadFromEnumerable(Array.Empty<ImageModelInput>());
        var decode = ImageDecodeMapping.CreateEstimator(ml, input).Fit(images);
        var scored = pixelsModel.Transform(decode.Transform(images));
        if (!scored.Schema[PredictedLabelColumn].HasKeyValues())
        {
            throw new InvalidOperationException($"the model's {PredictedLabelColumn} has no class names: attach them to the training labels (ClassNames.Attach)");
        }

        var toName = ml.Transforms.Conversion.MapKeyToValue(PredictedLabelColumn).Fit(scored);
        return (new TransformerChain<ITransformer>(decode, pixelsModel, toName), images.Schema);
    }

    /// <summary>The part of a loaded model after its decode step, and the schema it reads; the model itself when it has none.</summary>
    public static (ITransformer Model, DataViewSchema InputSchema) PixelsPart(ITransformer model, DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is TransformerChain<ITransformer> chain && chain.FirstOrDefault() is { } first && IsDecodeStep(first))
        {
            return (new TransformerChain<ITransformer>([.. chain.Skip(1)]), first.GetOutputSchema(inputSchema));
        }

        return (model, inputSchema);
    }

    private static bool IsDecodeStep(ITransformer transformer) =>
        transformer.GetType() is { IsGenericType: true } type
        && type.GetGenericTypeDefinition() == typeof(CustomMappingTransformer<,>)
        && type.GetGenericArguments()[0] == typeof(ImageBytesRow);
}
