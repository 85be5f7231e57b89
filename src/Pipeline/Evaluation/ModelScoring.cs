using Microsoft.ML;
using Microsoft.ML.Data;

namespace Pipeline.Evaluation;

/// <summary>Runs a model over a data view and collects what evaluation needs: true label, scores, source index.</summary>
public static class ModelScoring
{
    public const string ScoreColumn = "Score";

    /// <summary>Labels (0-based), score vectors and row indices of every row of <paramref name="scored"/>, in order.</summary>
    public static (List<int> Labels, List<float[]> Scores, List<int> Indices) Collect(IDataView scored, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scored);
        var labels = new List<int>();
        var scores = new List<float[]>();
        var indices = new List<int>();
        var scoreColumn = scored.Schema[ScoreColumn];
        var labelColumn = scored.Schema["Label"];
        var indexColumn = scored.Schema.GetColumnOrNull("Index");
        var columns = indexColumn is { } ic ? new[] { scoreColumn, labelColumn, ic } : new[] { scoreColumn, labelColumn };
        using var cursor = scored.GetRowCursor(columns);
        var getScore = cursor.GetGetter<VBuffer<float>>(scoreColumn);
        var getLabel = cursor.GetGetter<uint>(labelColumn);
        var getIndex = indexColumn is { } c ? cursor.GetGetter<int>(c) : null;
        VBuffer<float> score = default;
        uint label = 0;
        var index = 0;
        var row = 0;
        while (cursor.MoveNext())
        {
            cancellationToken.ThrowIfCancellationRequested();
            getScore(ref score);
            getLabel(ref label);
            if (getIndex is not null)
            {
                getIndex(ref index);
            }
            else
            {
                index = row;
            }

            if (label == 0)
            {
                throw new InvalidOperationException("a row reached scoring without a class label");
            }

            labels.Add((int)label - 1);
            scores.Add(score.DenseValues().ToArray());
            indices.Add(index);
            row++;
        }

        return (labels, scores, indices);
    }
}
