using Microsoft.ML;
using Microsoft.ML.Data;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Tests.Evaluation;

public class ClassificationMetricsTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    [Fact]
    public void Hand_computed_confusion_precision_recall()
    {
        // truth:      a  a  a  b  b  c
        // predicted:  a  a  b  b  c  c
        int[] labels = [0, 0, 0, 1, 1, 2];
        float[][] scores =
        [
            [0.8f, 0.1f, 0.1f],
            [0.6f, 0.3f, 0.1f],
            [0.3f, 0.6f, 0.1f],
            [0.1f, 0.7f, 0.2f],
            [0.1f, 0.4f, 0.5f],
            [0.2f, 0.2f, 0.6f],
        ];

        var m = ClassificationMetrics.Compute(Classes, labels, scores);

        Assert.Equal(4.0 / 6, m.Accuracy, 12);
        Assert.Equal(new[] { 2, 1, 0 }, m.ConfusionMatrix[0]);
        Assert.Equal(new[] { 0, 1, 1 }, m.ConfusionMatrix[1]);
        Assert.Equal(new[] { 0, 0, 1 }, m.ConfusionMatrix[2]);
        Assert.Equal(1.0, m.PerClass[0].Precision, 12);
        Assert.Equal(2.0 / 3, m.PerClass[0].Recall, 12);
        Assert.Equal(0.5, m.PerClass[1].Precision, 12);
        Assert.Equal(2.0 / 3, m.PerClass[2].F1, 12); // precision 0.5, recall 1
        Assert.Equal(((2.0 / 3) + 0.5 + 1.0) / 3, m.MacroAccuracy, 12);
        var expectedLogLoss = -(Math.Log(0.8) + Math.Log(0.6) + Math.Log(0.3) + Math.Log(0.7) + Math.Log(0.4) + Math.Log(0.6)) / 6;
        Assert.Equal(expectedLogLoss, m.LogLoss, 6);
        Assert.False(m.TopKAccuracy.ContainsKey(3)); // only 3 classes: top-3 would be trivially 1
        Assert.Equal(4.0 / 6, m.TopKAccuracy[1], 12);
        Assert.Equal(3, m.Scored.Count(s => s.Correct) - 1);
    }

    [Fact]
    public void Agrees_with_MLNET_evaluator_on_a_trained_model()
    {
        var ml = new MLContext(7);
        var random = new Random(7);
        var rows = Enumerable.Range(0, 300).Select(i =>
        {
            var label = i % 4;
            var features = Enumerable.Range(0, 5).Select(j => (float)(random.NextDouble() + (j == label ? 1.2 : 0))).ToArray();
            return new Row { Features = features, Label = (uint)label };
        }).ToList();
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 5);
        schema[nameof(Row.Label)].ColumnType = new KeyDataViewType(typeof(uint), 4);
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var model = ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy().Fit(data);
        var scored = model.Transform(data);

        var expected = ml.MulticlassClassification.Evaluate(scored, topKPredictionCount: 3);
        var (labels, scores, _) = ModelScoring.Collect(scored, CancellationToken.None);
        var ours = ClassificationMetrics.Compute(["w", "x", "y", "z"], labels, scores);

        Assert.Equal(expected.MicroAccuracy, ours.Accuracy, 9);
        Assert.Equal(expected.MacroAccuracy, ours.MacroAccuracy, 9);
        Assert.Equal(expected.LogLoss, ours.LogLoss, 4);
        Assert.Equal(expected.TopKAccuracyForAllK[2], ours.TopKAccuracy[3], 9);
        for (var r = 0; r < 4; r++)
        {
            for (var c = 0; c < 4; c++)
            {
                Assert.Equal(expected.ConfusionMatrix.Counts[r][c], ours.ConfusionMatrix[r][c]);
            }
        }
    }

    [Fact]
    public void Empty_test_set_is_a_clear_error()
    {
        var ex = Assert.Throws<WorkbenchException>(() => ClassificationMetrics.Compute(Classes, [], []));
        Assert.Contains("no readable images", ex.Message);
    }

    public sealed class Row
    {
        public float[] Features { get; set; } = [];

        public uint Label { get; set; }
    }
}
