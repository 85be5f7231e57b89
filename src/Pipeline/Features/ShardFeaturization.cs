using System.Diagnostics;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Features;

/// <summary>What <see cref="ShardFeaturization.Run"/> did.</summary>
/// <param name="Path">The shard file.</param>
/// <param name="AlreadyComplete">True when the shard existed, complete and made the same way, and was left as it was.</param>
/// <param name="Header">The shard's header.</param>
/// <param name="Images">Images of the data set that belong to this shard.</param>
/// <param name="Seconds">Time spent (hashing, featurizing, writing).</param>
public sealed record ShardOutcome(string Path, bool AlreadyComplete, FeatureShardHeader Header, int Images, double Seconds);

/// <summary>
/// <c>pipeline featurize --shard i/N</c>: this machine's share of a data set, featurized exactly as a direct run would
/// and stored as one Parquet file. Shard membership comes from each image's content hash alone, so N machines (a
/// Kubernetes Indexed Job, a Slurm array) compute disjoint shards with no coordination.
/// </summary>
public static class ShardFeaturization
{
    /// <summary>Images per Parquet row group (and per featurizer call): bounds the memory of a shard of any size.</summary>
    public const int ChunkSize = 2048;

    public static ShardOutcome Run(ImageDataset data, DatasetOptions dataOptions, TrainingOptions options, ShardSpec shard, string outputFolder, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(warnings);
        var wing = options.Pipeline as IStoredFeaturesWing ?? throw new WorkbenchException($"the {options.Pipeline.Name} pipeline cannot store its features");
        var stopwatch = Stopwatch.StartNew();
        var featurizer = wing.DescribeFeaturizer(data, options);
        var split = StoredDataSplit.Of(data, dataOptions);
        var path = System.IO.Path.Combine(outputFolder, shard.FileName);
        var expected = new FeatureShardHeader { Shard = shard.Index, ShardCount = shard.Count, Featurizer = featurizer, Data = split, Rows = 0, TrainRows = 0, TestRows = 0, Skipped = 0 };
        if (File.Exists(path))
        {
            try
            {
                var existing = FeatureShardFile.ReadHeader(path);
                if (expected.Mismatch(existing) is { } why)
                {
                    throw new WorkbenchException($"{path}: exists and was made by {why}; remove it or featurize into another --out");
                }

                if (existing.Shard == shard.Index)
                {
                    return new ShardOutcome(path, true, existing, existing.Rows + existing.Skipped, stopwatch.Elapsed.TotalSeconds);
                }
            }
            catch (WorkbenchException ex) when (!ex.Message.Contains("exists and was made by", StringComparison.Ordinal))
            {
                warnings.Note(path, $"is not a complete shard, computed again ({ex.Message})", "incomplete shard");
            }
        }

        CheckOtherShards(outputFolder, path, expected);
        using var computer = wing.OpenFeaturizer(featurizer, options); // first: a device that cannot be had fails before any work
        var members = Members(data, shard, warnings, out var unassigned, progress, cancellationToken);
        var header = expected;
        FeatureShardFile.Write(path, data.Classes, emit =>
        {
            int train = 0, test = 0, skipped = unassigned;
            for (var start = 0; start < members.Count; start += ChunkSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chunk = members.GetRange(start, Math.Min(ChunkSize, members.Count - start));
                var chunkProgress = progress is null ? null : new OffsetProgress(progress, $"featurizing shard {shard}", start, members.Count);
                var features = computer.Featurize(chunk.Select(m => m.Image).ToList(), warnings, chunkProgress, cancellationToken);
                var kept = Enumerable.Range(0, chunk.Count).Where(i => !float.IsNaN(features[i * featurizer.FeatureLength])).ToList();
                skipped += chunk.Count - kept.Count;
                var rows = new ShardRows(
                    [.. kept.Select(i => chunk[i].Image.Source.Name)],
                    [.. kept.Select(i => chunk[i].Hash)],
                    [.. kept.Select(i => chunk[i].Image.Label)],
                    [.. kept.Select(i => chunk[i].Split)],
                    [.. kept.Select(i => chunk[i].Index)],
                    new float[kept.Count * featurizer.FeatureLength]);
                for (var k = 0; k < kept.Count; k++)
                {
                    features.AsSpan(kept[k] * featurizer.FeatureLength, featurizer.FeatureLength).CopyTo(rows.Features.AsSpan(k * featurizer.FeatureLength));
                }

                train += rows.Splits.Count(s => s == ShardRows.Train);
                test += rows.Splits.Count(s => s == ShardRows.Test);
                emit(rows);
            }

            warnings.ThrowIfOverThreshold(members.Count + unassigned, options.MaxBadImageFraction);
            header = expected with { Rows = train + test, TrainRows = train, TestRows = test, Skipped = skipped };
            return header;
        });
        return new ShardOutcome(path, false, header, members.Count + unassigned, stopwatch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Fails before any work when the folder already holds a shard of another featurizer, data split or shard count:
    /// hours of featurizing would otherwise end in a set that <c>train --features</c> refuses.
    /// </summary>
    private static void CheckOtherShards(string folder, string ours, FeatureShardHeader expected)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (var other in Directory.EnumerateFiles(folder, "shard-*-of-*.parquet").Where(f => f != ours).Order(StringComparer.Ordinal))
        {
            FeatureShardHeader header;
            try
            {
                header = FeatureShardFile.ReadHeader(other);
            }
            catch (WorkbenchException)
            {
                continue; // another process's business: train --features names it if it stays broken
            }

            if (expected.Mismatch(header) is { } why)
            {
                throw new WorkbenchException($"{other}: this folder already holds shards made by {why}; featurize into another --out, or remove them");
            }

            return; // all agree with the first one (train --features checks every file)
        }
    }

    private sealed record Member(LabeledImage Image, string Split, int Index, string Hash);

    /// <summary>
    /// This shard's images, training split first, each split in its own order. Every image's content is hashed (in
    /// parallel) to find its shard; one whose content cannot be read is skipped, and counted by shard 0 only.
    /// </summary>
    private static List<Member> Members(ImageDataset data, ShardSpec shard, DataWarnings warnings, out int unassigned, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var all = data.Train.Select((image, i) => (image, ShardRows.Train, i)).Concat(data.Test.Select((image, i) => (image, ShardRows.Test, i))).ToList();
        var hashes = new byte[]?[all.Count];
        var done = 0;
        var stopwatch = Stopwatch.StartNew();
        Parallel.For(0, all.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            hashes[i] = CnnTraining.ContentHash(all[i].image.Source);
            var d = Interlocked.Increment(ref done);
            if (progress is not null && d % 1024 == 0)
            {
                progress.Report(new TrainingProgress("assigning images to shards (content hashes)", d, all.Count, d / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9)));
            }
        });

        var members = new List<Member>();
        unassigned = 0;
        for (var i = 0; i < all.Count; i++)
        {
            var hash = hashes[i];
            if (hash is null)
            {
                if (shard.Index == 0)
                {
                    unassigned++;
                    warnings.Skip(all[i].image.Source.Name, "its content cannot be read, so it belongs to no shard");
                }

                continue;
            }

            if (ShardSpec.Of(hash, shard.Count) == shard.Index)
            {
                members.Add(new Member(all[i].image, all[i].Item2, all[i].i, Convert.ToHexStringLower(hash)));
            }
        }

        return members;
    }

    /// <summary>A chunk's progress as progress through the whole shard.</summary>
    private sealed class OffsetProgress(IProgress<TrainingProgress> target, string stage, int offset, int total) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => target.Report(new TrainingProgress(stage, offset + value.Done, total, value.ItemsPerSecond));
    }
}
