using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Runtime.Models;

/// <summary>
/// Names the values of a key-typed label column: trainers copy the names to <c>Score</c>'s slot names and to
/// <c>PredictedLabel</c>'s key values, so a saved model answers with class names. A view over the data, not a copy:
/// rows pass through untouched (the features are in memory once), only the schema gains the annotation.
/// </summary>
public static class ClassNames
{
    public static IDataView Attach(IDataView data, string labelColumn, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(classes);
        var label = data.Schema[labelColumn];
        if (label.Type is not KeyDataViewType key || key.Count != (ulong)classes.Count)
        {
            throw new ArgumentException($"column {labelColumn} is {label.Type}, not a key of {classes.Count} values", nameof(labelColumn));
        }

        var names = new VBuffer<ReadOnlyMemory<char>>(classes.Count, [.. classes.Select(c => c.AsMemory())]);
        var builder = new DataViewSchema.Builder();
        foreach (var column in data.Schema)
        {
            if (column.Index != label.Index)
            {
                builder.AddColumn(column.Name, column.Type, column.Annotations);
                continue;
            }

            var annotations = new DataViewSchema.Annotations.Builder();
            annotations.Add(column.Annotations, _ => true);
            annotations.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, classes.Count), (ref VBuffer<ReadOnlyMemory<char>> value) => names.CopyTo(ref value));
            builder.AddColumn(column.Name, column.Type, annotations.ToAnnotations());
        }

        return new NamedView(data, builder.ToSchema());
    }

    private sealed class NamedView(IDataView inner, DataViewSchema schema) : IDataView
    {
        public bool CanShuffle => inner.CanShuffle;

        public DataViewSchema Schema => schema;

        public long? GetRowCount() => inner.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            new Cursor(inner.GetRowCursor(Inner(columnsNeeded), rand), schema);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [.. inner.GetRowCursorSet(Inner(columnsNeeded), n, rand).Select(c => new Cursor(c, schema))];

        private IEnumerable<DataViewSchema.Column> Inner(IEnumerable<DataViewSchema.Column> columns) => columns.Select(c => inner.Schema[c.Index]);
    }

    /// <summary>The inner cursor under the named schema (same columns, same indices).</summary>
    private sealed class Cursor(DataViewRowCursor inner, DataViewSchema schema) : DataViewRowCursor
    {
        public override DataViewSchema Schema => schema;

        public override long Position => inner.Position;

        public override long Batch => inner.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(inner.Schema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(inner.Schema[column.Index]);

        public override bool MoveNext() => inner.MoveNext();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
