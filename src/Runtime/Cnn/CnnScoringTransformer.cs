using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>
/// The CNN featurizer as a fitted ML.NET transformer for the workbench's saved chains: the workbench's names over
/// <see cref="CnnTransformsCatalog.ExtractCnnFeatures"/> (ONNX Runtime from memory, one shared session, the network
/// not copied into the model file; see <see cref="CnnFeatureMapping"/> for how it is saved and loaded).
/// </summary>
/// <remarks>
/// Input: <c>pixelsColumn</c>, a known-size float vector of 3 x S x S, planar RGB, values 0..1 (S =
/// <see cref="CnnPreprocessing.InputSize"/>). Output: <c>featuresColumn</c>, 512 floats, equal to
/// <see cref="ResNet18Featurizer"/>'s (it runs one).
/// </remarks>
public static class CnnScoringTransformer
{
    /// <summary>
    /// The type of the features column this transformer outputs: 512 floats. Training data must carry exactly this
    /// type, or LightGBM refuses the saved chain; declared here so training need not build a session just to ask
    /// (a test checks it against the real transformer).
    /// </summary>
    public static VectorDataViewType FeaturesType { get; } = new(NumberDataViewType.Single, ResNet18Model.FeatureLength);

    /// <summary>Builds the estimator (pixels to features); fitting it needs no data.</summary>
    public static IEstimator<ITransformer> CreateEstimator(MLContext ml, CnnPreprocessing preprocessing, string pixelsColumn, string featuresColumn)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(preprocessing);
        return ml.Transforms.ExtractCnnFeatures(featuresColumn, pixelsColumn, CnnFeatureOptions.From(preprocessing));
    }

    /// <summary>
    /// A fitted transformer mapping <paramref name="pixelsColumn"/> (float vector, 3 x S x S, planar RGB 0..1)
    /// to <paramref name="featuresColumn"/> (512 floats).
    /// </summary>
    public static ITransformer Create(MLContext ml, CnnPreprocessing preprocessing, string pixelsColumn, string featuresColumn) =>
        CreateEstimator(ml, preprocessing, pixelsColumn, featuresColumn).Fit(EmptyPixels(ml, preprocessing, pixelsColumn));

    /// <summary>An empty data view with the pixels column, to fit against.</summary>
    internal static IDataView EmptyPixels(MLContext ml, CnnPreprocessing preprocessing, string pixelsColumn) =>
        PixelRows(ml, preprocessing, pixelsColumn, []);

    /// <summary>A data view of planar pixel vectors under <paramref name="pixelsColumn"/>.</summary>
    public static IDataView PixelRows(MLContext ml, CnnPreprocessing preprocessing, string pixelsColumn, IEnumerable<float[]> images)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(preprocessing);
        var schema = SchemaDefinition.Create(typeof(PixelRow));
        schema[0].ColumnName = pixelsColumn;
        schema[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, preprocessing.InputLength);
        return ml.Data.LoadFromEnumerable(images.Select(i => new PixelRow { Pixels = i }), schema);
    }

    private sealed class PixelRow
    {
        public float[] Pixels { get; set; } = [];
    }
}
