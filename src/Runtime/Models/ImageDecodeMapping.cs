using System.Collections.Frozen;
using System.Globalization;
using System.Reflection;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Runtime.Decoding;
using Microsoft.ML;
using Microsoft.ML.Transforms;

namespace ImageWorkbench.Runtime.Models;

/// <summary>
/// The input row of a saved model: the encoded image file's bytes (PNG, JPEG, BMP, ...), under the column name and
/// type that ML.NET Model Builder's image-classification code uses, so its generated input class works as is.
/// </summary>
public sealed class ImageBytesRow
{
    public const string ColumnName = "ImageSource";

    /// <summary>The bytes of the image file, exactly as stored (not decoded pixels).</summary>
    public byte[] ImageSource { get; set; } = [];
}

/// <summary>The output row of a decode step: planar pixels of one fixed shape (the length is in the concrete type).</summary>
public interface IPixelsColumn
{
    float[] Pixels { get; set; }
}

/// <summary>
/// Decoding inside the ML.NET graph: <c>ImageSource</c> (encoded bytes) to <c>Pixels</c> (planar, 0..1, the model's
/// input shape), through the same hardened <see cref="ImageDecoder"/> and the same resize as training, so the graph
/// sees the pixels the model was trained on.
/// </summary>
/// <remarks>
/// Why one contract per input shape and resize mode (<c>imageworkbench/decode/&lt;W&gt;x&lt;H&gt;x&lt;C&gt;/&lt;mode&gt;</c>,
/// declared in ImageDecodeContracts.cs): ML.NET saves a custom mapping as its contract name and nothing else, and on
/// load rebuilds it from the factory class alone, so the output vector length must be a compile-time attribute of
/// that class (a downstream ONNX or trainer refuses a variable-length vector) and the resize mode must be implied by
/// the contract. Own saveable transforms are not possible outside ML.NET (its LoadableClass/ModelLoadContext are
/// internal). A contract per shape keeps the saved file a plain ML.NET model that loads with
/// <c>mlContext.Model.Load</c> alone: ML.NET 5 records the assembly of the mapping with the contract and registers it
/// itself on load.
/// </remarks>
public static class ImageDecodeMapping
{
    public const string ContractPrefix = "imageworkbench/decode/";

    private static readonly Lazy<FrozenDictionary<string, Type>> Factories = new(FindFactories);

    /// <summary>The contract of the decode step for <paramref name="input"/> (whether or not this build has one).</summary>
    public static string ContractName(ModelInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var scale = input.Scale == 1f ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"/x{input.Scale}");
        return string.Create(CultureInfo.InvariantCulture, $"{ContractPrefix}{input.Width}x{input.Height}x{input.Channels}/{ModelInputPixels.ParseResizeMode(input.ResizeMode).ToString().ToLowerInvariant()}{scale}");
    }

    /// <summary>Whether this build has a saveable decode step for <paramref name="input"/> (see the remarks for which shapes do).</summary>
    public static bool IsSaveable(ModelInput input) => Factories.Value.ContainsKey(ContractName(input));

    /// <summary>The estimator that adds <c>Pixels</c> decoded from <c>ImageSource</c>; fitting it needs no data.</summary>
    public static IEstimator<ITransformer> CreateEstimator(MLContext ml, ModelInput input)
    {
        ArgumentNullException.ThrowIfNull(ml);
        var contract = ContractName(input);
        if (!Factories.Value.TryGetValue(contract, out var type))
        {
            throw new WorkbenchException($"no saveable decode step for input {input.Width}x{input.Height}x{input.Channels}, resize {input.ResizeMode}, scale {input.Scale} (known: {string.Join(", ", Factories.Value.Keys.Order(StringComparer.Ordinal).Take(6))}, ...)");
        }

        return ((IImageDecodeFactory)Activator.CreateInstance(type)!).CreateEstimator(ml, contract);
    }

    /// <summary>
    /// The mapping one factory runs. The decoder writes straight into the output row's array, reused from row to row
    /// (ML.NET hands back the same row object), so a steady stream of images allocates no pixel buffer per image.
    /// </summary>
    internal static Action<ImageBytesRow, TPixels> CreateMapping<TPixels>(ModelInput input)
        where TPixels : class, IPixelsColumn
    {
        var mode = ModelInputPixels.ParseResizeMode(input.ResizeMode);
        var length = input.Shape.Length;
        return (row, output) =>
        {
            var pixels = output.Pixels;
            if (pixels.Length != length)
            {
                pixels = new float[length];
                output.Pixels = pixels;
            }

            var bytes = row.ImageSource ?? [];
            if (!ModelInputPixels.TryDecode(Decoding.ImageSource.FromEncoded(bytes, ImageBytesRow.ColumnName), input, mode, pixels, out var error))
            {
                throw new ImageDecodeException($"{ImageBytesRow.ColumnName}: {error}");
            }
        };
    }

    private static FrozenDictionary<string, Type> FindFactories() =>
        typeof(ImageDecodeMapping).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(IImageDecodeFactory).IsAssignableFrom(t))
            .ToFrozenDictionary(t => t.GetCustomAttribute<CustomMappingFactoryAttributeAttribute>()!.ContractName, StringComparer.Ordinal);
}

internal interface IImageDecodeFactory
{
    IEstimator<ITransformer> CreateEstimator(MLContext ml, string contract);
}

/// <summary>The factory of one decode contract: the input it decodes to is fixed by the subclass.</summary>
public abstract class ImageDecodeFactory<TPixels>(int width, int height, int channels, ResizeMode mode) : CustomMappingFactory<ImageBytesRow, TPixels>, IImageDecodeFactory
    where TPixels : class, IPixelsColumn, new()
{
    /// <summary>What this contract decodes to.</summary>
    public ModelInput Input { get; } = new(width, height, channels, mode.ToString(), 1f);

    public override Action<ImageBytesRow, TPixels> GetMapping() => ImageDecodeMapping.CreateMapping<TPixels>(Input);

    IEstimator<ITransformer> IImageDecodeFactory.CreateEstimator(MLContext ml, string contract) => ml.Transforms.CustomMapping(GetMapping(), contract);
}
