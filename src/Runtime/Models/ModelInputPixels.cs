using System.Runtime.CompilerServices;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.HandCrafted;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Runtime.Models;

/// <summary>
/// How an image becomes the pixels a model's input expects (<see cref="ModelInput"/>): decoded, fitted to the shape
/// by the recorded resize mode, scaled. Training rows and prediction use this one path, so both see the same pixels.
/// </summary>
public static class ModelInputPixels
{
    /// <summary>The schema a saved model's input has: just the pixels vector.</summary>
    public static SchemaDefinition PixelsSchema(ModelInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var schema = SchemaDefinition.Create(typeof(PixelsRow));
        schema[nameof(PixelsRow.Pixels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, input.Shape.Length);
        return schema;
    }

    public static ResizeMode ParseResizeMode(string mode) =>
        Enum.TryParse<ResizeMode>(mode, ignoreCase: true, out var parsed) ? parsed : throw new WorkbenchException($"unknown resize mode '{mode}' (known: {string.Join(", ", Enum.GetNames<ResizeMode>())})");

    /// <summary>
    /// Decodes one image into <paramref name="destination"/> scaled to the model's value range. On failure
    /// <paramref name="error"/> is the reason alone: every caller names the image itself (warning or exception).
    /// </summary>
    public static bool TryDecode(ImageSource source, ModelInput input, ResizeMode mode, Span<float> destination, out string? error) =>
        TryDecode(source, input, mode, destination, out _, out error);

    /// <summary>Like <see cref="TryDecode(ImageSource, ModelInput, ResizeMode, Span{float}, out string?)"/>, with what the image was before resizing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per image: optimised from its first call; a short batch ran it unoptimised (tier 0) throughout
    public static bool TryDecode(ImageSource source, ModelInput input, ResizeMode mode, Span<float> destination, out ImageFacts facts, out string? error)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(input);
        if (!ImageDecoder.Default.TryDecode(source, input.Shape, mode, destination, out facts, out error))
        {
            string named = source.Name + ": ";
            if (error is not null && error.StartsWith(named, StringComparison.Ordinal))
            {
                error = error[named.Length..];
            }

            return false;
        }

        if (input.Scale != 1f)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(destination, input.Scale, destination);
        }

        return true;
    }
}
