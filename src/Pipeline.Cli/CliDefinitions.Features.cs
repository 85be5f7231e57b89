using ImageWorkbench.Pipeline.Features;
using ImageWorkbench.Runtime.Cnn;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary>The options of stored features: <c>featurize</c>, <c>train --features</c> and <c>compare --features</c>.</summary>
internal static partial class Opt
{
    public static readonly CliOption<ShardSpec> Shard = new(
        "shard", "I/N", "This process's shard of N: the images whose content hash falls in shard I (0-based); e.g. a Kubernetes completion index or a Slurm array task id",
        text => ShardSpec.TryParse(text, out var error) ?? throw new UsageException($"--shard {error}"), new ShardSpec(0, 1), "0/1 (everything in one shard)");

    public static readonly CliOption<string> FeaturesOut = CliOptions.Text("out", "DIR", "The folder of the feature shards (one Parquet file per shard; a complete shard already there is kept)");

    public static readonly CliOption<string> Features = CliOptions.Text(
        "features", "DIR", "Fit the head on the feature shards in this folder (pipeline featurize) instead of images: no image is decoded, the split and seed are the shards'; the package still predicts from images");

    public static readonly CliOption<IReadOnlyList<string>> FeatureFolders = CliOptions.List(
        "features", "DIR,...", "Compare heads fitted on these folders of feature shards (pipeline featurize; one folder per pipeline, all from the same data split) instead of featurizing images: no image is decoded to train; latency is timed on the stored test images where their files can be read here", Path.GetFullPath);

    public static readonly CliOption<CnnDevice> Device = new(
        "device", "cpu|cuda[:N]", "Where the CNN runs while featurizing: the CPU, or a CUDA GPU through ONNX Runtime's CUDA execution provider (a GPU build only; elsewhere one error line) (cnn only)",
        text => CnnDevice.TryParse(text, out var error) ?? throw new UsageException($"--device {error}"), CnnDevice.Cpu, "cpu");
}
