using FeatureExtractors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Pipeline.Data;
using Pipeline.Models;

namespace Pipeline.Training;

/// <summary>One decoded image as a data-view row: planar pixels, class key and its position in the source list.</summary>
public sealed class LabeledPixels
{
    public float[] Pixels { get; set; } = [];

    /// <summary>Class index, 0-based (ML.NET adds 1 when it makes the key column: 0 there means missing).</summary>
    public uint Label { get; set; }

    /// <summary>Index into the image list, so results map back to files.</summary>
    public int Index { get; set; }
}

/// <summary>
/// Streams a list of images into an ML.NET <see cref="IDataView"/>, decoding lazily (nothing holds every decoded
/// image). An image that cannot be decoded is skipped and reported once through <see cref="DataWarnings"/>.
/// </summary>
public static class ImageRows
{
    public const string PixelsColumn = "Pixels";

    public static IDataView Create(MLContext ml, IReadOnlyList<LabeledImage> images, ModelInput input, int classCount, DataWarnings warnings, CancellationToken cancellationToken, Action<int>? onRow = null)
    {
        ArgumentNullException.ThrowIfNull(ml);
        var schema = SchemaDefinition.Create(typeof(LabeledPixels));
        schema[nameof(LabeledPixels.Pixels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, input.Shape.Length);
        schema[nameof(LabeledPixels.Label)].ColumnType = new KeyDataViewType(typeof(uint), classCount);
        return ml.Data.LoadFromEnumerable(new Rows(images, input, warnings, cancellationToken, onRow), schema);
    }

    /// <summary>The schema a saved model's input has: just the pixels vector.</summary>
    public static SchemaDefinition PixelsSchema(ModelInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var schema = SchemaDefinition.Create(typeof(HandCrafted.PixelsRow));
        schema[nameof(HandCrafted.PixelsRow.Pixels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, input.Shape.Length);
        return schema;
    }

    internal static ResizeMode ParseResizeMode(string mode) =>
        Enum.TryParse<ResizeMode>(mode, ignoreCase: true, out var parsed) ? parsed : throw new WorkbenchException($"unknown resize mode '{mode}' (known: {string.Join(", ", Enum.GetNames<ResizeMode>())})");

    /// <summary>
    /// Decodes one image into <paramref name="destination"/> scaled to the model's value range. On failure
    /// <paramref name="error"/> is the reason alone: every caller names the image itself (warning or exception).
    /// </summary>
    internal static bool TryDecode(ImageSource source, ModelInput input, ResizeMode mode, Span<float> destination, out string? error)
    {
        if (!ImageDecoder.Default.TryDecode(source, input.Shape, mode, destination, out error))
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

    private sealed class Rows(IReadOnlyList<LabeledImage> images, ModelInput input, DataWarnings warnings, CancellationToken cancellationToken, Action<int>? onRow) : IEnumerable<LabeledPixels>
    {
        public IEnumerator<LabeledPixels> GetEnumerator()
        {
            // One row object per pass: LoadFromEnumerable copies the fields out before asking for the next row.
            var mode = ParseResizeMode(input.ResizeMode);
            var row = new LabeledPixels { Pixels = new float[input.Shape.Length] };
            for (var i = 0; i < images.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var image = images[i];
                if (!TryDecode(image.Source, input, mode, row.Pixels, out var error))
                {
                    warnings.Skip(image.Source.Name, error ?? "cannot be decoded");
                    continue;
                }

                row.Label = (uint)image.Label;
                row.Index = i;
                onRow?.Invoke(i);
                yield return row;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
