using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>
/// A trained network exported by <see cref="OnnxClassifierGraph"/> as the pixels-to-scores part of a saved model:
/// ML.NET's ONNX transform (<c>Pixels</c> to <c>Score</c>, the class probabilities; the ONNX bytes are stored in the
/// model file), the index of the highest score (<see cref="ArgMaxMapping"/>), and that index mapped to a key whose
/// values are the class names (<c>PredictedLabel</c>), so the chain ends like one with an ML.NET trainer's head.
/// Prediction needs ONNX Runtime only, not the library that trained the network.
/// </summary>
public static class OnnxClassifierScoring
{
    /// <summary>The key column a saved chain ends with (the same name as <c>ImageModel.PredictedLabelColumn</c>; a test checks it).</summary>
    public const string PredictedLabelColumn = "PredictedLabel";

    /// <summary>The fitted chain over <paramref name="pixels"/> (whose <c>Pixels</c> column is C x H x W floats, the graph's input).</summary>
    /// <param name="ml">The context.</param>
    /// <param name="onnxModel">The graph's bytes; kept in memory by ML.NET and written into the model file on save.</param>
    /// <param name="classes">Class names in the order of the graph's outputs.</param>
    /// <param name="pixels">A data view (may be empty) with the pixels column, to fit against.</param>
    public static ITransformer Create(MLContext ml, byte[] onnxModel, IReadOnlyList<string> classes, IDataView pixels)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(onnxModel);
        ArgumentNullException.ThrowIfNull(classes);
        OnnxRuntimeTelemetry.TurnOff();
        var names = classes.Select((name, index) => new KeyValuePair<int, string>(index, name));
        var chain = ml.Transforms.ApplyOnnxModel([OnnxClassifierGraph.OutputName], [OnnxClassifierGraph.InputName], new MemoryStream(onnxModel, writable: false))
            .Append(ml.Transforms.CustomMapping(new ArgMaxMapping().GetMapping(), ArgMaxMapping.Contract))
            .Append(ml.Transforms.Conversion.MapValue(PredictedLabelColumn, names, ArgMaxRow.IndexColumn, treatValuesAsKeyType: true))
            .Append(ml.Transforms.DropColumns(ArgMaxRow.IndexColumn));
        return chain.Fit(pixels);
    }
}

/// <summary>The input of <see cref="ArgMaxMapping"/>: the score vector.</summary>
public sealed class ArgMaxScores
{
    public float[] Score { get; set; } = [];
}

/// <summary>The output of <see cref="ArgMaxMapping"/>: the index of the highest score.</summary>
public sealed class ArgMaxRow
{
    public const string IndexColumn = "PredictedIndex";

    public int PredictedIndex { get; set; }
}

/// <summary>The index of the highest score (the first on a tie), saved by contract name.</summary>
[CustomMappingFactoryAttribute(Contract)]
public sealed class ArgMaxMapping : CustomMappingFactory<ArgMaxScores, ArgMaxRow>
{
    public const string Contract = "ImageWorkbench.ArgMax/v1";

    public override Action<ArgMaxScores, ArgMaxRow> GetMapping() => static (input, output) =>
    {
        var scores = input.Score;
        var best = 0;
        for (var i = 1; i < scores.Length; i++)
        {
            if (scores[i] > scores[best])
            {
                best = i;
            }
        }

        output.PredictedIndex = best;
    };
}
