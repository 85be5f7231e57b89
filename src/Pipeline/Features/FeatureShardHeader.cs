using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Features;

/// <summary>One shard of N: <c>i/N</c>, 0-based.</summary>
public readonly record struct ShardSpec(int Index, int Count)
{
    /// <summary>Most shards a feature set may be split into.</summary>
    public const int MaxCount = 99_999;

    /// <summary>Parses <c>i/N</c> (0 &lt;= i &lt; N); null with the reason otherwise.</summary>
    public static ShardSpec? TryParse(string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            && count is >= 1 and <= MaxCount && index < count)
        {
            error = null;
            return new ShardSpec(index, count);
        }

        error = $"must be i/N with 0 <= i < N <= {MaxCount.ToString(CultureInfo.InvariantCulture)} (e.g. 0/4), got '{text}'";
        return null;
    }

    /// <summary>The shard's file name, e.g. <c>shard-00001-of-00004.parquet</c>: sorted names are shard order.</summary>
    public string FileName => string.Create(CultureInfo.InvariantCulture, $"shard-{Index:D5}-of-{Count:D5}.parquet");

    /// <summary>
    /// The shard an image belongs to, from its content's SHA-256 alone (the first 8 bytes, big-endian, modulo N): every
    /// machine computes its own share with no coordination, and the same content always lands in the same shard.
    /// </summary>
    public static int Of(ReadOnlySpan<byte> contentHash, int count) =>
        (int)(BinaryPrimitives.ReadUInt64BigEndian(contentHash[..8]) % (ulong)count);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}

/// <summary>The data set and split the features were computed on: the same for every shard of one feature set.</summary>
/// <param name="Name">The data set's name.</param>
/// <param name="Classes">Class names in label order.</param>
/// <param name="OwnSplit">True when the split is the data set's own, false when it is the seeded stratified one.</param>
/// <param name="Seed">Seed of the split, the subsamples and (by default) the trainer.</param>
/// <param name="TestFraction">Test share of the seeded split.</param>
/// <param name="MaxTrainPerClass">Training subsample per class, if any.</param>
/// <param name="MaxTestPerClass">Test subsample per class, if any.</param>
/// <param name="TrainCount">Training images of the whole data set (all shards).</param>
/// <param name="TestCount">Test images of the whole data set (all shards).</param>
public sealed record StoredDataSplit(string Name, IReadOnlyList<string> Classes, bool OwnSplit, int Seed, double TestFraction, int? MaxTrainPerClass, int? MaxTestPerClass, int TrainCount, int TestCount)
{
    public static StoredDataSplit Of(ImageDataset data, DatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        return new(data.Name, data.Classes, data.HasOwnSplit, options.Seed, options.TestFraction, options.MaxTrainPerClass, options.MaxTestPerClass, data.Train.Count, data.Test.Count);
    }
}

/// <summary>
/// A shard file's header (Parquet key-value metadata <see cref="MetadataKey"/>, JSON): which featurizer and which data
/// split made it, which shard it is and what it holds. No time stamp: the same shard computed twice is the same file.
/// </summary>
public sealed record FeatureShardHeader
{
    public const string MetadataKey = "image-workbench.feature-shard";

    public const string CurrentFormat = "image-workbench-feature-shard-1";

    public string Format { get; init; } = CurrentFormat;

    public required int Shard { get; init; }

    public required int ShardCount { get; init; }

    public required StoredFeaturizer Featurizer { get; init; }

    public required StoredDataSplit Data { get; init; }

    /// <summary>Rows in the file (readable images of this shard).</summary>
    public required int Rows { get; init; }

    public required int TrainRows { get; init; }

    public required int TestRows { get; init; }

    /// <summary>Images of this shard skipped as unreadable (plus, in shard 0, images whose content could not be read to be assigned).</summary>
    public required int Skipped { get; init; }

    [JsonIgnore]
    public ShardSpec Spec => new(Shard, ShardCount);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The header in <paramref name="json"/>; a <see cref="WorkbenchException"/> naming <paramref name="file"/> when it is not one.</summary>
    public static FeatureShardHeader Parse(string json, string file)
    {
        FeatureShardHeader? header;
        try
        {
            header = JsonSerializer.Deserialize<FeatureShardHeader>(json, Json);
        }
        catch (JsonException ex)
        {
            throw new WorkbenchException($"{file}: the feature-shard header is not valid ({ex.Message})", ex);
        }

        if (header is null || header.Format != CurrentFormat || header.Featurizer is null || header.Data is null || header.Featurizer.Identity is null
            || header.ShardCount is < 1 or > ShardSpec.MaxCount || header.Shard < 0 || header.Shard >= header.ShardCount || header.Featurizer.FeatureLength < 1
            || header.Rows != header.TrainRows + header.TestRows || header.Data.Classes is null || header.Data.Classes.Count < 1)
        {
            throw new WorkbenchException($"{file}: not a feature shard of format {CurrentFormat}");
        }

        return header;
    }

    /// <summary>The featurizer as one comparable string.</summary>
    public string FeaturizerKey() => JsonSerializer.Serialize(Featurizer, Json);

    /// <summary>The data split as one comparable string.</summary>
    public string DataKey() => JsonSerializer.Serialize(Data, Json);

    /// <summary>Null when <paramref name="other"/> may be trained on together with this header; otherwise what differs.</summary>
    public string? Mismatch(FeatureShardHeader other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (FeaturizerKey() != other.FeaturizerKey())
        {
            return $"another featurizer ({Describe(other.Featurizer)}, not {Describe(Featurizer)})";
        }

        if (DataKey() != other.DataKey())
        {
            return $"another data set or split ({other.Data.Name}: {other.Data.TrainCount} train / {other.Data.TestCount} test, seed {other.Data.Seed}; not {Data.Name}: {Data.TrainCount} / {Data.TestCount}, seed {Data.Seed})";
        }

        return ShardCount != other.ShardCount ? $"another shard count ({other.ShardCount}, not {ShardCount})" : null;
    }

    private static string Describe(StoredFeaturizer f)
    {
        var network = f.Identity.GetValueOrDefault("networkSha256");
        return $"{f.Pipeline} {f.FeatureSet}{(network is null ? string.Empty : $", network {network[..Math.Min(12, network.Length)]}")}";
    }
}
