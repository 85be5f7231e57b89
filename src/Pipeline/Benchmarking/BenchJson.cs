using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Benchmarking;

/// <summary>
/// bench.json: the machine-readable result of <c>pipeline bench</c>. Keys are stable and documented in
/// <c>src/Pipeline/Benchmarking/README-bench-json.md</c>; numbers are JSON numbers; a figure that was not
/// measured (NaN or infinite) is <c>null</c>.
/// </summary>
public static class BenchJson
{
    /// <summary>Bumped when a key changes meaning or disappears (adding keys does not bump it).</summary>
    public const int SchemaVersion = 1;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Top-level keys, in document order.</summary>
    public static IReadOnlyList<string> TopLevelKeys { get; } = ["schemaVersion", "command", "createdUtc", "machine", "dataset", "settings", "results"];

    public static IReadOnlyList<string> MachineKeys { get; } = ["description", "logicalCores", "memoryBytes", "os", "architecture", "framework", "cpuModel"];

    public static IReadOnlyList<string> DatasetKeys { get; } = ["name", "location", "classCount", "trainCount", "testCount"];

    public static IReadOnlyList<string> SettingsKeys { get; } = ["seed", "featureCache", "featurizeSamples", "latencySamples", "warmUpSeconds", "minSecondsPerRate", "maxIterations"];

    public static IReadOnlyList<string> ResultKeys { get; } =
    [
        "pipeline", "trainer", "featureSet", "featureLength",
        "featurizeSamples", "featurizeImagesPerSecondOneThread", "featurizeImagesPerSecondAllThreads", "featurizeThreads",
        "decodeFeaturizeImagesPerSecondOneThread", "decodeFeaturizeImagesPerSecondAllThreads",
        "trainCount", "trainFeaturizeSeconds", "trainSeconds", "trainTotalSeconds", "testAccuracy",
        "modelLoadSeconds", "predictSamples", "predictMillisecondsP50", "predictMillisecondsP95", "batchImagesPerSecond",
        "allocatedBytesPerPrediction", "modelBytes", "peakWorkingSetBytes",
    ];

    public static JsonObject Build(BenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var m = result.Machine;
        var d = result.Dataset;
        var o = result.Options;
        var results = new JsonArray();
        foreach (var r in result.Results)
        {
            results.Add(new JsonObject
            {
                ["pipeline"] = r.Pipeline,
                ["trainer"] = r.Trainer,
                ["featureSet"] = r.FeatureSet,
                ["featureLength"] = r.FeatureLength,
                ["featurizeSamples"] = r.FeaturizeSamples,
                ["featurizeImagesPerSecondOneThread"] = Number(r.FeaturizeImagesPerSecondOneThread),
                ["featurizeImagesPerSecondAllThreads"] = Number(r.FeaturizeImagesPerSecondAllThreads),
                ["featurizeThreads"] = r.FeaturizeThreads,
                ["decodeFeaturizeImagesPerSecondOneThread"] = Number(r.DecodeFeaturizeImagesPerSecondOneThread),
                ["decodeFeaturizeImagesPerSecondAllThreads"] = Number(r.DecodeFeaturizeImagesPerSecondAllThreads),
                ["trainCount"] = r.TrainCount,
                ["trainFeaturizeSeconds"] = Number(r.TrainFeaturizeSeconds),
                ["trainSeconds"] = Number(r.TrainSeconds),
                ["trainTotalSeconds"] = Number(r.TrainTotalSeconds),
                ["testAccuracy"] = Number(r.TestAccuracy),
                ["modelLoadSeconds"] = Number(r.ModelLoadSeconds),
                ["predictSamples"] = r.PredictSamples,
                ["predictMillisecondsP50"] = Number(r.PredictMillisecondsP50),
                ["predictMillisecondsP95"] = Number(r.PredictMillisecondsP95),
                ["batchImagesPerSecond"] = Number(r.BatchImagesPerSecond),
                ["allocatedBytesPerPrediction"] = Number(Math.Round(r.AllocatedBytesPerPrediction)),
                ["modelBytes"] = r.ModelBytes,
                ["peakWorkingSetBytes"] = r.PeakWorkingSetBytes,
            });
        }

        return new JsonObject
        {
            ["schemaVersion"] = SchemaVersion,
            ["command"] = result.Command,
            ["createdUtc"] = result.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["machine"] = new JsonObject
            {
                ["description"] = m.Description,
                ["logicalCores"] = m.LogicalCores,
                ["memoryBytes"] = m.MemoryBytes,
                ["os"] = m.Os,
                ["architecture"] = m.Architecture,
                ["framework"] = m.Framework,
                ["cpuModel"] = m.CpuModel,
            },
            ["dataset"] = new JsonObject
            {
                ["name"] = d.Name,
                ["location"] = d.Location,
                ["classCount"] = d.Classes.Count,
                ["trainCount"] = d.TrainCount,
                ["testCount"] = d.TestCount,
            },
            ["settings"] = new JsonObject
            {
                ["seed"] = o.Seed,
                ["featureCache"] = false,
                ["featurizeSamples"] = o.FeaturizeSamples,
                ["latencySamples"] = o.LatencySamples,
                ["warmUpSeconds"] = o.WarmUpSeconds,
                ["minSecondsPerRate"] = o.MinSecondsPerRate,
                ["maxIterations"] = o.MaxIterations,
            },
            ["results"] = results,
        };
    }

    /// <summary>Writes bench.json atomically (a reader sees the old file or the whole new one).</summary>
    public static void Write(BenchResult result, string path) =>
        AtomicFile.WriteAllText(path, Build(result).ToJsonString(Indented) + "\n");

    private static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;
}
