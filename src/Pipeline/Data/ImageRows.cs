using ImageWorkbench.FeatureExtractors;
using Microsoft.ML;
using Microsoft.ML.Data;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.HandCrafted;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Data;

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

    private sealed class Rows(IReadOnlyList<LabeledImage> images, ModelInput input, DataWarnings warnings, CancellationToken cancellationToken, Action<int>? onRow) : IEnumerable<LabeledPixels>
    {
        public IEnumerator<LabeledPixels> GetEnumerator()
        {
            // One row object per pass: LoadFromEnumerable copies the fields out before asking for the next row.
            var mode = ModelInputPixels.ParseResizeMode(input.ResizeMode);
            var row = new LabeledPixels { Pixels = new float[input.Shape.Length] };
            for (var i = 0; i < images.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var image = images[i];
                if (!ModelInputPixels.TryDecode(image.Source, input, mode, row.Pixels, out var error))
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
