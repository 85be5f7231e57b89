using Microsoft.ML;
using Microsoft.ML.Data;
using ImageWorkbench.Pipeline.Training;

namespace ImageWorkbench.Pipeline.Tests.Training;

public class FeatureMatrixTests
{
    private static float[] RowValues(int seed, int length) => Enumerable.Range(0, length).Select(j => (seed * 100) + j + 0.5f).ToArray();

    private static List<(float[] Features, uint Key, int Index)> Read(IDataView view)
    {
        var rows = new List<(float[], uint, int)>();
        using var cursor = view.GetRowCursor(view.Schema);
        var getFeatures = cursor.GetGetter<VBuffer<float>>(view.Schema["Features"]);
        var getLabel = cursor.GetGetter<uint>(view.Schema["Label"]);
        var getIndex = cursor.GetGetter<int>(view.Schema["Index"]);
        VBuffer<float> features = default;
        uint label = 0;
        int index = 0;
        while (cursor.MoveNext())
        {
            getFeatures(ref features);
            getLabel(ref label);
            getIndex(ref index);
            rows.Add((features.DenseValues().ToArray(), label, index));
        }

        return rows;
    }

    [Fact]
    public void Keep_compacts_the_filled_array_in_place_and_the_view_gives_every_kept_row()
    {
        const int Length = 4;
        var values = new float[5 * Length];
        for (var i = 0; i < 5; i++)
        {
            RowValues(i, Length).CopyTo(values, i * Length);
        }

        var matrix = new FeatureMatrix(values, Length, 5);
        matrix.Keep(0, 2, 0);
        matrix.Keep(2, 0, 2); // slot 1 skipped (an unreadable image)
        matrix.Keep(4, 1, 4); // slot 3 skipped

        Assert.Equal(3, matrix.Count);
        Assert.Equal(RowValues(2, Length), matrix.Row(1).ToArray());
        Assert.Equal(RowValues(4, Length), matrix.Row(2).ToArray());

        var ml = new MLContext(seed: 1);
        var view = matrix.AsDataView(ml, new VectorDataViewType(NumberDataViewType.Single, Length), classCount: 3);
        Assert.Equal(3, view.GetRowCount()); // trainers and the row-scaled L2 weight need the count up front
        var rows = Read(view);
        Assert.Equal([0, 2, 4], rows.Select(r => r.Index));
        Assert.Equal([3u, 1u, 2u], rows.Select(r => r.Key)); // keys are 1-based class indices
        Assert.Equal(RowValues(0, Length), rows[0].Features);
        Assert.Equal(RowValues(2, Length), rows[1].Features);
        Assert.Equal(RowValues(4, Length), rows[2].Features);

        // Two passes give the same rows (trainers read the view many times).
        Assert.Equal(rows.Select(r => r.Features.Sum()), Read(matrix.AsDataView(ml, new VectorDataViewType(NumberDataViewType.Single, Length), 3)).Select(r => r.Features.Sum()));
    }

    [Fact]
    public void AddRow_gives_the_next_row_to_fill_and_refuses_rows_past_capacity()
    {
        var matrix = new FeatureMatrix(length: 3, capacity: 2);
        var slot = matrix.AddRow(1, 7);
        Assert.Equal(3, slot.Length);
        new float[] { 1, 2, 3 }.CopyTo(slot);
        Assert.Equal([1f, 2f, 3f], matrix.Row(0).ToArray());
        var row = Assert.Single(Read(matrix.AsDataView(new MLContext(1), new VectorDataViewType(NumberDataViewType.Single, 3), classCount: 2)));
        Assert.Equal(7, row.Index);
        Assert.Equal(2u, row.Key); // class 1 as a 1-based key
        Assert.Throws<ArgumentOutOfRangeException>(() => matrix.Keep(0, 0, 0)); // slot 0 already holds row 0
        matrix.AddRow(0, 8);
        Assert.Throws<InvalidOperationException>(() => matrix.AddRow(0, 9));
    }

    [Fact]
    public void View_type_must_match_the_row_length()
    {
        var matrix = new FeatureMatrix(length: 3, capacity: 1);
        Assert.Throws<ArgumentException>(() => matrix.AsDataView(new MLContext(1), new VectorDataViewType(NumberDataViewType.Single, 4), 2));
    }
}
