using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Benchmarking;

/// <summary>
/// bench.json: the machine-readable result of <c>pipeline bench</c>, the records below (<see cref="BenchFile"/>) serialised with
/// <see cref="ResultJson.Options"/>. Keys are stable and documented in <c>src/Pipeline/Benchmarking/README-bench-json.md</c>;
/// numbers are JSON numbers; a figure that was not measured (NaN or infinite) is <c>null</c>.
/// </summary>
public static class BenchJson
{
    /// <summary>Bumped when a key changes meaning or disappears (adding keys does not bump it).</summary>
    public const int SchemaVersion = 1;

    /// <summary>Top-level keys, in document order.</summary>
    public static IReadOnlyList<string> TopLevelKeys { get; } = ResultJson.Keys<BenchFile>();

    public static IReadOnlyList<string> MachineKeys { get; } = ResultJson.Keys<MachineInfo>();

    public static IReadOnlyList<string> DatasetKeys { get; } = ResultJson.Keys<BenchDataset>();

    public static IReadOnlyList<string> SettingsKeys { get; } = ResultJson.Keys<BenchSettings>();

    public static IReadOnlyList<string> ResultKeys { get; } = ResultJson.Keys<PipelineBench>();

    public static IReadOnlyList<string> BackboneKeys { get; } = ResultJson.Keys<BackboneBench>();

    public static IReadOnlyList<string> ShardScalingKeys { get; } = ResultJson.Keys<ShardScalingRow>();

    public static IReadOnlyList<string> FeatureSetKeys { get; } = ResultJson.Keys<FeatureSetSpeed>();

    public static IReadOnlyList<string> OpenCvKeys { get; } = ResultJson.Keys<OpenCvComparison>();

    /// <summary>The bench.json document.</summary>
    public static BenchFile Document(BenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var d = result.Dataset;
        var o = result.Options;
        return new BenchFile(
            SchemaVersion,
            result.Command,
            ResultJson.Timestamp(result.CreatedUtc),
            result.Machine,
            new BenchDataset(d.Name, d.Location, d.Classes.Count, d.TrainCount, d.TestCount),
            new BenchSettings(o.Seed, FeatureCache: false, o.FeaturizeSamples, o.LatencySamples, o.FilePredictSamples, o.WarmUpSeconds, o.MinSecondsPerRate, o.MaxIterations),
            [.. result.Results.Select(r => r with { AllocatedBytesPerPrediction = Math.Round(r.AllocatedBytesPerPrediction) })],
            result.Backbone,
            result.ShardScaling,
            result.FeatureSets,
            result.OpenCv);
    }

    /// <summary>Writes bench.json atomically (a reader sees the old file or the whole new one).</summary>
    public static void Write(BenchResult result, string path) => AtomicFile.WriteAllText(path, ResultJson.ToText(Document(result)));
}

/// <summary>bench.json; the machine is a <see cref="MachineInfo"/> and each result a <see cref="PipelineBench"/>, as measured.</summary>
public sealed record BenchFile(int SchemaVersion, string Command, string CreatedUtc, MachineInfo Machine, BenchDataset Dataset, BenchSettings Settings, IReadOnlyList<PipelineBench> Results, BackboneBench? Backbone, IReadOnlyList<ShardScalingRow> ShardScaling, IReadOnlyList<FeatureSetSpeed> FeatureSets, OpenCvComparison? OpenCv);

/// <summary>What the bench ran on.</summary>
public sealed record BenchDataset(string Name, string Location, int ClassCount, int TrainCount, int TestCount);

/// <summary>How the bench measured (see <see cref="BenchOptions"/>); the CNN feature cache is always off (cold figures).</summary>
public sealed record BenchSettings(int Seed, bool FeatureCache, int FeaturizeSamples, int LatencySamples, int FilePredictSamples, double WarmUpSeconds, double MinSecondsPerRate, int? MaxIterations);
