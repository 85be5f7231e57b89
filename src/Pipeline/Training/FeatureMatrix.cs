using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Pipeline.Training;

/// <summary>
/// Featurized training or test rows held once, in one contiguous array: row r's features are
/// <c>Values[r * Length .. (r + 1) * Length)</c>. Trainers read it through <see cref="AsDataView"/>, which copies one
/// row at a time into the cursor's buffer, so the features exist in memory exactly once (per-row arrays plus a
/// second copy for the data view cost 290 MB more on full Fashion-MNIST's CNN features).
/// </summary>
internal sealed class FeatureMatrix
{
    private readonly float[] _values;
    private readonly uint[] _labels;
    private readonly int[] _indices;

    /// <summary>An empty matrix with room for <paramref name="capacity"/> rows of <paramref name="length"/> features.</summary>
    public FeatureMatrix(int length, int capacity)
        : this(new float[checked(length * capacity)], length, capacity)
    {
    }

    /// <summary>
    /// A matrix over <paramref name="values"/> (taken, not copied) with room for <paramref name="capacity"/> rows;
    /// rows are added with <see cref="Keep"/> or <see cref="AddRow"/>.
    /// </summary>
    public FeatureMatrix(float[] values, int length, int capacity)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        if (values.Length < (long)length * capacity)
        {
            throw new ArgumentException($"{values.Length} values cannot hold {capacity} rows of {length}", nameof(values));
        }

        _values = values;
        Length = length;
        _labels = new uint[capacity];
        _indices = new int[capacity];
    }

    /// <summary>
    /// A matrix over <paramref name="values"/> (slot i holds image i's row, NaN for an unreadable image) that keeps the
    /// readable rows, compacted in place, with image i's class <paramref name="labelOf"/>(i) and index i.
    /// </summary>
    public static FeatureMatrix KeepReadable(float[] values, int length, int count, Func<int, uint> labelOf)
    {
        ArgumentNullException.ThrowIfNull(labelOf);
        var rows = new FeatureMatrix(values, length, count);
        for (var i = 0; i < count; i++)
        {
            if (!float.IsNaN(values[i * length]))
            {
                rows.Keep(i, labelOf(i), i);
            }
        }

        return rows;
    }

    /// <summary>The image index of row <paramref name="row"/>.</summary>
    public int IndexOf(int row) => _indices[row];

    /// <summary>The class (0-based) of row <paramref name="row"/>.</summary>
    public uint LabelOf(int row) => _labels[row];

    /// <summary>Features per row.</summary>
    public int Length { get; }

    /// <summary>Rows held.</summary>
    public int Count { get; private set; }

    /// <summary>The image index row <paramref name="row"/> came from.</summary>
    public int ImageIndex(int row) => _indices[row];

    /// <summary>Row <paramref name="row"/>'s features.</summary>
    public ReadOnlySpan<float> Row(int row) => _values.AsSpan(checked(row * Length), Length);

    /// <summary>Appends a row of class <paramref name="label"/> (0-based) from image <paramref name="index"/> and returns its features to fill.</summary>
    public Span<float> AddRow(uint label, int index)
    {
        if (Count == _labels.Length)
        {
            throw new InvalidOperationException($"the matrix is full ({Count} rows)");
        }

        var row = _values.AsSpan(Count * Length, Length);
        Append(label, index);
        return row;
    }

    /// <summary>
    /// Appends the row already stored at slot <paramref name="slot"/> of the values array (slot &gt;= <see cref="Count"/>),
    /// moving it down when earlier slots were skipped: a filled array is compacted in place, with no second copy.
    /// </summary>
    public void Keep(int slot, uint label, int index)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slot, Count);
        if (slot != Count)
        {
            _values.AsSpan(slot * Length, Length).CopyTo(_values.AsSpan(Count * Length, Length));
        }

        Append(label, index);
    }

    /// <summary>
    /// The rows as an ML.NET data view (Features typed as <paramref name="featureType"/>, Label a key of
    /// <paramref name="classCount"/> values, Index). Some trainers (LightGBM) refuse a feature column whose type
    /// differs from the saved featurizer's output, even when only the dimensions' shape does, hence the explicit type.
    /// Every row a cursor takes checks <paramref name="cancellationToken"/>: trainers pass over these rows again and
    /// again, so a cancelled token stops them at the next row even where ML.NET itself never checks for cancellation.
    /// </summary>
    /// <param name="ml">The context that makes the view.</param>
    /// <param name="featureType">The Features column's type (its size is <see cref="Length"/>).</param>
    /// <param name="classCount">Classes of the Label key.</param>
    /// <param name="cancellationToken">Checked at every row a cursor takes.</param>
    /// <param name="subset">Only these rows (row numbers of this matrix, in this order); null for all of them.</param>
    /// <param name="slotScale">Each feature multiplied by its entry as the row is copied out (no copy of the matrix); null for none.</param>
    public IDataView AsDataView(MLContext ml, VectorDataViewType featureType, int classCount, CancellationToken cancellationToken = default, IReadOnlyList<int>? subset = null, float[]? slotScale = null)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(featureType);
        if (featureType.Size != Length)
        {
            throw new ArgumentException($"feature type has {featureType.Size} values, rows have {Length}", nameof(featureType));
        }

        if (slotScale is not null && slotScale.Length != Length)
        {
            throw new ArgumentException($"{slotScale.Length} slot scales for rows of {Length}", nameof(slotScale));
        }

        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(FeatureRow.Features)].ColumnType = featureType;
        schema[nameof(FeatureRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), classCount);
        return ml.Data.LoadFromEnumerable(new Rows(this, subset, slotScale, cancellationToken), schema);
    }

    private void Append(uint label, int index)
    {
        _labels[Count] = label;
        _indices[Count] = index;
        Count++;
    }

    /// <summary>
    /// The rows for <c>LoadFromEnumerable</c>. It is an <see cref="ICollection{T}"/> only so that the data view
    /// knows its row count (ML.NET asks the enumerable for <c>ICollection&lt;T&gt;.Count</c>): trainers and the
    /// L2 weight scaled by row count need it. Read-only; rows come from enumeration alone.
    /// </summary>
    private sealed class Rows(FeatureMatrix matrix, IReadOnlyList<int>? subset, float[]? slotScale, CancellationToken cancellationToken) : ICollection<FeatureRow>
    {
        public int Count => subset?.Count ?? matrix.Count;

        public bool IsReadOnly => true;

        public IEnumerator<FeatureRow> GetEnumerator()
        {
            // One row object per cursor: LoadFromEnumerable copies the fields out before asking for the next row.
            var row = new FeatureRow { Features = new float[matrix.Length] };
            for (var i = 0; i < Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested(); // one volatile read per row: free next to the row copy
                var r = subset?[i] ?? i;
                if (slotScale is null)
                {
                    matrix.Row(r).CopyTo(row.Features);
                }
                else
                {
                    TensorPrimitives.Multiply(matrix.Row(r), slotScale, row.Features);
                }

                row.Label = matrix._labels[r];
                row.Index = matrix._indices[r];
                yield return row;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public void Add(FeatureRow item) => throw new NotSupportedException();

        public void Clear() => throw new NotSupportedException();

        public bool Contains(FeatureRow item) => throw new NotSupportedException();

        public void CopyTo(FeatureRow[] array, int arrayIndex) => throw new NotSupportedException();

        public bool Remove(FeatureRow item) => throw new NotSupportedException();
    }
}
