using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>
/// The CNN featurizer as an ML.NET transformer that survives <c>ml.Model.Save</c>/<c>Load</c> on its own:
/// built only from built-in transforms (<c>CopyColumns</c>, <c>ApplyOnnxModel</c>, <c>DropColumns</c>), with
/// the preprocessing inside the ONNX graph (see <see cref="ResNet18Model.BuildNetwork"/> with preprocessing),
/// so no custom mapping has to be registered and no file is needed next to the loaded model: ML.NET embeds
/// the ONNX bytes (about 64 MB) in the saved zip.
/// </summary>
/// <remarks>
/// Input: <c>pixelsColumn</c>, a known-size float vector of 3 x S x S, planar RGB, values 0..1 (S =
/// <see cref="CnnPreprocessing.InputSize"/>). Output: <c>featuresColumn</c>, 512 floats, equal to
/// <see cref="ResNet18Featurizer"/>'s within 1e-4. It runs one image per ONNX call with ML.NET's session
/// settings; the engine is the fast path for featurizing data sets, this one is for saved scoring models.
/// </remarks>
public static class CnnScoringTransformer
{
    /// <summary>Temporary column holding the ONNX input (named as the graph input).</summary>
    private const string OnnxInput = ResNet18Model.FusedInputName;

    /// <summary>Temporary column holding the ONNX output (named as the graph output).</summary>
    private const string OnnxOutput = ResNet18Model.NetworkOutputName;

    /// <summary>
    /// The type of the features column this transformer outputs: ML.NET types an ONNX output by its full shape
    /// (batch 1, 512 channels, 1 x 1 after global pooling). Training data must carry exactly this type, or LightGBM
    /// refuses the saved chain; declared here so training need not build an ONNX session just to ask (a test checks
    /// it against the real transformer).
    /// </summary>
    public static VectorDataViewType FeaturesType { get; } = new(NumberDataViewType.Single, 1, ResNet18Model.FeatureLength, 1, 1);

    /// <summary>Builds the estimator chain (pixels to features); fitting it needs no data.</summary>
    public static IEstimator<ITransformer> CreateEstimator(MLContext ml, CnnPreprocessing preprocessing, string pixelsColumn, string featuresColumn)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentException.ThrowIfNullOrEmpty(pixelsColumn);
        ArgumentException.ThrowIfNullOrEmpty(featuresColumn);
        preprocessing.Validate();
        if (pixelsColumn is OnnxInput or OnnxOutput || featuresColumn is OnnxInput or OnnxOutput)
        {
            throw new ArgumentException($"column names {OnnxInput} and {OnnxOutput} are reserved for the CNN transformer");
        }

        // ML.NET writes the network to a temp file when the estimator is fitted and re-reads it when the model is saved:
        // keep it in this process's own folder, which goes when the process does.
        OnnxTempFolder.UseForFitting(ml);
        var model = ResNet18Model.BuildNetwork(preprocessing.InputSize, withPreprocessing: true, symbolicBatch: false, channelOrder: preprocessing.ChannelOrder);
        return ml.Transforms.CopyColumns(OnnxInput, pixelsColumn)
            .Append(ml.Transforms.ApplyOnnxModel(OnnxOutput, OnnxInput, new MemoryStream(model, writable: false)))
            .Append(ml.Transforms.CopyColumns(featuresColumn, OnnxOutput))
            .Append(ml.Transforms.DropColumns(OnnxInput, OnnxOutput));
    }

    /// <summary>
    /// A fitted transformer mapping <paramref name="pixelsColumn"/> (float vector, 3 x S x S, planar RGB 0..1)
    /// to <paramref name="featuresColumn"/> (512 floats).
    /// </summary>
    public static ITransformer Create(MLContext ml, CnnPreprocessing preprocessing, string pixelsColumn, string featuresColumn)
    {
        try
        {
            // ApplyOnnxModel writes the network out already, before the fit: a full temp folder fails there
            return CreateEstimator(ml, preprocessing, pixelsColumn, featuresColumn).Fit(EmptyPixels(ml, preprocessing, pixelsColumn));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // a full or read-only temp folder: ML.NET must write the network there for ONNX Runtime
            throw new WorkbenchException($"cannot write the CNN network to the temp folder {ml.TempFilePath} ({ex.Message}); free some space or set TMPDIR to a writable folder", ex);
        }
    }

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
