using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Measuring;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.HandCrafted;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Pipelines.HandCrafted;

/// <summary>What hand-crafted featurization costs on this machine, for <c>pipeline bench</c>.</summary>
internal static class HandCraftedCostProbe
{
    /// <summary>
    /// The extractor alone on decoded images, and decode + extract, on one thread and on every core (one extractor
    /// and its buffers per worker, made before the clock starts).
    /// </summary>
    public static FeaturizeRates Measure(ImageDataset data, ModelMetadata metadata, ProbeSettings options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var definition = FeatureSetPresets.Get(metadata.FeatureSet);
        var input = metadata.Input;
        var mode = ModelInputPixels.ParseResizeMode(input.ResizeMode);
        var sample = PredictionTimer.Sample(data.Train, options.Samples);
        var decoded = Throughput.Decode(sample, input, mode);
        var length = definition.OutputLength;

        Action<int> DecodeAndExtract()
        {
            var extractor = definition.CreateExtractor();
            var pixels = new float[input.Shape.Length];
            var features = new float[length];
            return i =>
            {
                if (ModelInputPixels.TryDecode(sample[i].Source, input, mode, pixels, out _))
                {
                    extractor.Extract(pixels, features);
                }
            };
        }

        var cores = Environment.ProcessorCount;
        var label = "hand-crafted featurization";
        return new FeaturizeRates(
            decoded.Count,
            Throughput.Timed($"{label} (1 thread)", () => Throughput.ExtractorImagesPerSecond(definition, decoded, 1, options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress),
            Throughput.Timed($"{label} ({cores} threads)", () => Throughput.ExtractorImagesPerSecond(definition, decoded, cores, options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress),
            cores,
            Throughput.Timed($"{label} with decoding (1 thread)", () => Throughput.ImagesPerSecond(sample.Count, 1, DecodeAndExtract, options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress),
            Throughput.Timed($"{label} with decoding ({cores} threads)", () => Throughput.ImagesPerSecond(sample.Count, cores, DecodeAndExtract, options.WarmUpSeconds, options.MinSecondsPerRate, cancellationToken), progress));
    }
}
