using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Features;

/// <summary>
/// A folder of feature shards, checked as a whole before anything is trained on it: every shard 0..N-1 present once,
/// each made by the same featurizer from the same data split (the first odd file is named).
/// </summary>
public sealed class FeatureStore
{
    private FeatureStore(string folder, IReadOnlyList<string> files, FeatureShardHeader header)
    {
        Folder = folder;
        Files = files;
        Header = header;
    }

    public string Folder { get; }

    /// <summary>The shard files in shard order.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Shard 0's header (every other shard's agrees with it).</summary>
    public FeatureShardHeader Header { get; }

    public static FeatureStore Open(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
        {
            throw new WorkbenchException($"{folder}: no such folder of feature shards");
        }

        // Only complete shards have this name: a temp file of a killed run (".shard-...tmp") is never read.
        var files = Directory.GetFiles(folder, "shard-*-of-*.parquet").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new WorkbenchException($"{folder}: holds no feature shards (shard-*-of-*.parquet); write them with pipeline featurize --shard i/N --out {folder}");
        }

        var headers = files.Select(FeatureShardFile.ReadHeader).ToList();
        var first = headers[0];
        for (var i = 0; i < files.Count; i++)
        {
            var header = headers[i];
            if (first.Mismatch(header) is { } why)
            {
                throw new WorkbenchException($"{files[i]}: made by {why} than {Path.GetFileName(files[0])}; featurize all shards with the same options");
            }

            if (Path.GetFileName(files[i]) != header.Spec.FileName)
            {
                throw new WorkbenchException($"{files[i]}: holds shard {header.Spec}, which is named {header.Spec.FileName}");
            }
        }

        var missing = Enumerable.Range(0, first.ShardCount).Except(headers.Select(h => h.Shard)).ToList();
        if (missing.Count > 0)
        {
            var names = string.Join(", ", missing.Take(5).Select(m => new ShardSpec(m, first.ShardCount).ToString()));
            throw new WorkbenchException($"{folder}: {missing.Count} of {first.ShardCount} shards missing ({names}{(missing.Count > 5 ? ", ..." : string.Empty)}): not featurized yet, or still running");
        }

        return new FeatureStore(folder, files, headers.Single(h => h.Shard == 0));
    }
}
