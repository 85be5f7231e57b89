using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Files;
using Parquet;
using Parquet.Schema;

namespace ImageWorkbench.Pipeline.Features;

/// <summary>Rows of a shard, column by column: what one Parquet row group holds.</summary>
/// <param name="Paths">The image's name as the data set gives it (a file path, or <c>file#index</c> inside an IDX file).</param>
/// <param name="Hashes">SHA-256 of the image's content, lower-case hex.</param>
/// <param name="Labels">Class index (0-based) into <see cref="StoredDataSplit.Classes"/>.</param>
/// <param name="Splits"><c>train</c> or <c>test</c>: the split a direct run puts the image in.</param>
/// <param name="Indices">The image's position in its split, as a direct run lists it (training order is kept).</param>
/// <param name="Features">Row-major features, <c>Labels.Length x FeatureLength</c>.</param>
public sealed record ShardRows(string[] Paths, string[] Hashes, int[] Labels, string[] Splits, int[] Indices, float[] Features)
{
    public const string Train = "train";

    public const string Test = "test";

    public int Count => Labels.Length;
}

/// <summary>
/// A feature shard as a Parquet file (Parquet.Net): columns <c>path</c>, <c>content_sha256</c>, <c>label</c>,
/// <c>class</c>, <c>split</c>, <c>index</c> and <c>features</c> (a list of floats), one row group per chunk, and the
/// <see cref="FeatureShardHeader"/> in the file's key-value metadata. Any Parquet reader (pandas, Spark, DuckDB) reads it.
/// </summary>
public static class FeatureShardFile
{
    private static readonly DataField<string> PathField = new("path");
    private static readonly DataField<string> HashField = new("content_sha256");
    private static readonly DataField<int> LabelField = new("label");
    private static readonly DataField<string> ClassField = new("class");
    private static readonly DataField<string> SplitField = new("split");
    private static readonly DataField<int> IndexField = new("index");
    private static readonly DataField FeaturesField = new("features", typeof(float), isNullable: false, isArray: true);
    private static readonly ParquetSchema Schema = new(PathField, HashField, LabelField, ClassField, SplitField, IndexField, FeaturesField);

    /// <summary>
    /// Writes a shard atomically (a temp file beside <paramref name="path"/>, renamed when complete: a killed run leaves
    /// no file of the shard's name). <paramref name="produce"/> hands its chunks to the writer and returns the header.
    /// </summary>
    public static void Write(string path, IReadOnlyList<string> classes, Func<Action<ShardRows>, FeatureShardHeader> produce)
    {
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(produce);
        AtomicFile.Write(path, stream =>
        {
            var writer = ParquetWriter.CreateAsync(Schema, stream, new ParquetOptions { CompressionMethod = CompressionMethod.Snappy }).GetAwaiter().GetResult();
            try
            {
                var header = produce(rows => WriteRowGroup(writer, rows, classes));
                writer.CustomMetadata = new Dictionary<string, string> { [FeatureShardHeader.MetadataKey] = header.ToJson() };
            }
            finally
            {
                writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        });
    }

    private static void WriteRowGroup(ParquetWriter writer, ShardRows rows, IReadOnlyList<string> classes)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var length = rows.Features.Length / rows.Count;
        var repetition = new int[rows.Features.Length];
        for (var i = 0; i < repetition.Length; i++)
        {
            repetition[i] = i % length == 0 ? 0 : 1;
        }

        using var group = writer.CreateRowGroup();
        group.WriteAsync(PathField, rows.Paths).GetAwaiter().GetResult();
        group.WriteAsync(HashField, rows.Hashes).GetAwaiter().GetResult();
        group.WriteAsync<int>(LabelField, rows.Labels.AsMemory()).GetAwaiter().GetResult();
        group.WriteAsync(ClassField, rows.Labels.Select(l => classes[l]).ToArray()).GetAwaiter().GetResult();
        group.WriteAsync(SplitField, rows.Splits).GetAwaiter().GetResult();
        group.WriteAsync<int>(IndexField, rows.Indices.AsMemory()).GetAwaiter().GetResult();
        group.WriteAsync<float>(FeaturesField, rows.Features.AsMemory(), repetition.AsMemory()).GetAwaiter().GetResult();
    }

    /// <summary>The header of a shard file; a <see cref="WorkbenchException"/> naming the file when it is not a complete shard.</summary>
    public static FeatureShardHeader ReadHeader(string path)
    {
        using var stream = Open(path);
        return Guarded(path, () =>
        {
            var reader = ParquetReader.CreateAsync(stream, leaveStreamOpen: true).GetAwaiter().GetResult();
            try
            {
                return HeaderOf(reader, path);
            }
            finally
            {
                reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        });
    }

    /// <summary>
    /// Reads a shard row group by row group (memory: one row group at a time), checking it against its header and
    /// <paramref name="expected"/> (the feature set's first shard): a mismatch fails naming the file.
    /// </summary>
    public static void ReadRows(string path, FeatureShardHeader expected, Action<ShardRows> onRows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(onRows);
        using var stream = Open(path);
        Guarded(path, () =>
        {
            var reader = ParquetReader.CreateAsync(stream, leaveStreamOpen: true, cancellationToken: cancellationToken).GetAwaiter().GetResult();
            try
            {
                var header = HeaderOf(reader, path);
                if (expected.Mismatch(header) is { } why)
                {
                    throw new WorkbenchException($"{path}: made by {why} than the other shards; featurize all shards with the same options");
                }

                var fields = reader.Schema.GetDataFields().ToDictionary(f => f.Name, StringComparer.Ordinal);
                DataField Field(string name) => fields.TryGetValue(name, out var f) ? f : throw new WorkbenchException($"{path}: has no column '{name}'");
                var length = header.Featurizer.FeatureLength;
                var rowsSeen = 0;
                for (var g = 0; g < reader.RowGroupCount; g++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var group = reader.OpenRowGroupReader(g);
                    var count = checked((int)group.RowCount);
                    var paths = new string?[count];
                    var hashes = new string?[count];
                    var labels = new int[count];
                    var splits = new string?[count];
                    var indices = new int[count];
                    var features = new float[checked(count * length)];
                    var definition = new int[features.Length];
                    var repetition = new int[features.Length];
                    group.ReadAsync(Field(PathField.Name), paths.AsMemory(), null, cancellationToken).GetAwaiter().GetResult();
                    group.ReadAsync(Field(HashField.Name), hashes.AsMemory(), null, cancellationToken).GetAwaiter().GetResult();
                    group.ReadAsync<int>(Field(LabelField.Name), labels.AsMemory(), null, cancellationToken).GetAwaiter().GetResult();
                    group.ReadAsync(Field(SplitField.Name), splits.AsMemory(), null, cancellationToken).GetAwaiter().GetResult();
                    group.ReadAsync<int>(Field(IndexField.Name), indices.AsMemory(), null, cancellationToken).GetAwaiter().GetResult();
                    group.ReadRawAsync<float>(Field(FeaturesField.Name), features.AsMemory(), definition.AsMemory(), repetition.AsMemory(), cancellationToken).GetAwaiter().GetResult();
                    for (var i = 0; i < repetition.Length; i++)
                    {
                        if (repetition[i] != (i % length == 0 ? 0 : 1))
                        {
                            throw new WorkbenchException($"{path}: row group {g} has a feature vector of another length than {length}");
                        }
                    }

                    for (var r = 0; r < count; r++)
                    {
                        if (paths[r] is null || hashes[r] is null || splits[r] is not (ShardRows.Train or ShardRows.Test) || labels[r] < 0 || labels[r] >= header.Data.Classes.Count || indices[r] < 0
                            || indices[r] >= (splits[r] == ShardRows.Train ? header.Data.TrainCount : header.Data.TestCount))
                        {
                            throw new WorkbenchException($"{path}: row {rowsSeen + r} is not a valid feature row");
                        }
                    }

                    rowsSeen += count;
                    onRows(new ShardRows(paths!, hashes!, labels, splits!, indices, features));
                }

                if (rowsSeen != header.Rows)
                {
                    throw new WorkbenchException($"{path}: holds {rowsSeen} rows, its header says {header.Rows}");
                }

                return 0;
            }
            finally
            {
                reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        });
    }

    private static FeatureShardHeader HeaderOf(ParquetReader reader, string path) =>
        reader.CustomMetadata.TryGetValue(FeatureShardHeader.MetadataKey, out var json)
            ? FeatureShardHeader.Parse(json, path)
            : throw new WorkbenchException($"{path}: a Parquet file without a feature-shard header (not written by pipeline featurize)");

    private static FileStream Open(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new WorkbenchException($"{path}: cannot be read ({ex.Message})", ex);
        }
    }

    /// <summary>Parquet.Net's own failures on a truncated or foreign file, as one error naming the file.</summary>
    private static T Guarded<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is not (WorkbenchException or OperationCanceledException or OutOfMemoryException))
        {
            throw new WorkbenchException($"{path}: not a complete feature shard ({ex.Message})", ex);
        }
    }
}
