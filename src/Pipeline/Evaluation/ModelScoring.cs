using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Pipeline.Evaluation;

/// <summary>Runs a model over a data view and collects what evaluation needs: true label, scores, source index.</summary>
public static class ModelScoring
{
    public const string ScoreColumn = "Score";

    /// <summary>Labels (0-based), score vectors and row indices of every row of <paramref name="scored"/>, in order.</summary>
    /// <remarks>
    /// ML.NET runs an expensive transform (a saved CNN chain) on parallel worker cursors fed in batches, and the
    /// cursor's dispose waits for every batch in flight: Ctrl+C during <c>evaluate</c> of a CNN model took 15 s to
    /// end on two loaded cores although every row checks the token. So the rows are read on a thread of their own
    /// and a cancellation returns at once; the abandoned reader stops at its next row.
    /// </remarks>
    /// <param name="scored">The model's output.</param>
    /// <param name="cancellationToken">Ends the wait at once (see remarks).</param>
    /// <param name="onRow">Called with the count of rows scored so far, after each row: progress must count scored
    /// rows, not rows handed to ML.NET, which decodes far ahead of a slow CNN (51 % "00:00 left" stood for 40 s).</param>
    public static (List<int> Labels, List<float[]> Scores, List<int> Indices) Collect(IDataView scored, CancellationToken cancellationToken, Action<int>? onRow = null)
    {
        ArgumentNullException.ThrowIfNull(scored);
        return AbandonableWork.Run(() => CollectRows(scored, cancellationToken, onRow), onCancel: null, cancellationToken);
    }

    private static (List<int> Labels, List<float[]> Scores, List<int> Indices) CollectRows(IDataView scored, CancellationToken cancellationToken, Action<int>? onRow)
    {
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
            onRow?.Invoke(row);
        }

        return (labels, scores, indices);
    }
}
