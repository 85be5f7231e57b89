using System.Diagnostics;
using System.Globalization;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ImageWorkbench.Pipeline.Pipelines.CnnScratch;

/// <summary>Decoded images of one split, planar C x H x W each, one after another, with their 0-based labels.</summary>
internal sealed record DecodedImages(float[] Pixels, int[] Labels, int Length)
{
    public int Count => Labels.Length;

    /// <summary>Decodes <paramref name="images"/> to <paramref name="input"/>'s shape; an unreadable image is skipped and reported through <paramref name="warnings"/>.</summary>
    public static DecodedImages Decode(IReadOnlyList<LabeledImage> images, ModelInput input, DataWarnings warnings, CancellationToken cancellationToken)
    {
        var length = input.Shape.Length;
        var mode = ModelInputPixels.ParseResizeMode(input.ResizeMode);
        var pixels = new float[(long)images.Count * length];
        var labels = new List<int>(images.Count);
        foreach (var image in images)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ModelInputPixels.TryDecode(image.Source, input, mode, pixels.AsSpan(labels.Count * length, length), out var error))
            {
                labels.Add(image.Label);
            }
            else
            {
                warnings.Skip(image.Source.Name, error ?? "cannot be decoded");
            }
        }

        return new DecodedImages(labels.Count == images.Count ? pixels : pixels[..(labels.Count * length)], [.. labels], length);
    }
}

/// <summary>One epoch's figures, as progress shows them and the metadata records them.</summary>
internal sealed record EpochSummary(int Epoch, double TrainLoss, double ValidationAccuracy, double LearningRate, double ImagesPerSecond);

/// <summary>
/// Trains a <see cref="ScratchNetwork"/> with Adam and a cosine learning-rate schedule (per epoch), random horizontal
/// flips and one-pixel shifts as augmentation, and early stopping on the validation split: the weights of the epoch
/// with the best validation accuracy are kept. Cancellation is checked before every batch; a cancelled run throws
/// <see cref="OperationCanceledException"/> and leaves nothing behind.
/// </summary>
internal static class ScratchTrainer
{
    public static (ScratchNetwork Network, IReadOnlyList<EpochSummary> Epochs, int BestEpoch) Train(
        CnnScratchOptions options, int seed, int classes, ModelInput input, DecodedImages train, DecodedImages validation,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        torch.set_num_threads(options.Threads ?? CnnScratchOptions.DefaultThreads);
        torch.manual_seed(seed);
        var network = ScratchNetwork.Create(options.Architecture, input.Channels, input.Height, input.Width, classes);
        try
        {
            var epochs = Fit(network, options, seed, train, validation, progress, cancellationToken, out var best);
            return (network, epochs, best);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private static List<EpochSummary> Fit(ScratchNetwork network, CnnScratchOptions options, int seed, DecodedImages train, DecodedImages validation,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken, out int bestEpoch)
    {
        var model = network.Module;
        var optimizer = optim.Adam(model.parameters(), options.LearningRate);
        var schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, options.Epochs, options.LearningRate * 0.02);
        var lossFunction = nn.CrossEntropyLoss();
        var random = new Random(seed);
        var order = Enumerable.Range(0, train.Count).ToArray();
        var batchSize = Math.Min(options.BatchSize, Math.Max(1, train.Count));
        var batches = (train.Count + batchSize - 1) / batchSize;
        var length = train.Length;
        var buffer = new float[batchSize * length];
        var labels = new long[batchSize];
        var summaries = new List<EpochSummary>();
        Dictionary<string, Tensor>? best = null;
        var bestAccuracy = -1.0;
        bestEpoch = 0;
        try
        {
            for (var epoch = 1; epoch <= options.Epochs; epoch++)
            {
                model.train();
                random.Shuffle(order);
                var stopwatch = Stopwatch.StartNew();
                double lossSum = 0;
                var stage = string.Create(CultureInfo.InvariantCulture, $"training epoch {epoch}/{options.Epochs}");
                for (var b = 0; b < batches; b++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var n = Math.Min(batchSize, train.Count - (b * batchSize));
                    for (var i = 0; i < n; i++)
                    {
                        var index = order[(b * batchSize) + i];
                        Augment(train.Pixels.AsSpan(index * length, length), buffer.AsSpan(i * length, length), network.Channels, network.Height, network.Width, random);
                        labels[i] = train.Labels[index];
                    }

                    using var scope = NewDisposeScope();
                    var x = tensor(buffer.AsSpan(0, n * length).ToArray(), [n, network.Channels, network.Height, network.Width]);
                    var y = tensor(labels.AsSpan(0, n).ToArray(), [n]);
                    optimizer.zero_grad();
                    var loss = lossFunction.forward(model.forward(x), y);
                    loss.backward();
                    optimizer.step();
                    lossSum += loss.item<float>() * n;
                    var done = (b * batchSize) + n;
                    progress?.Report(new TrainingProgress(stage, done, train.Count, done / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9)));
                }

                var rate = train.Count / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9);
                var learningRate = optimizer.ParamGroups.First().LearningRate;
                schedule.step();
                var accuracy = validation.Count > 0 ? Accuracy(network, validation, cancellationToken) : 0;
                var summary = new EpochSummary(epoch, lossSum / Math.Max(1, train.Count), accuracy, learningRate, rate);
                summaries.Add(summary);
                progress?.Report(new TrainingProgress(
                    string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{options.Epochs}: loss {summary.TrainLoss:0.0000}, validation accuracy {accuracy:0.0000}, {rate:0} img/s"),
                    epoch, options.Epochs, 0));
                if (accuracy > bestAccuracy)
                {
                    bestAccuracy = accuracy;
                    bestEpoch = epoch;
                    DisposeAll(best);
                    best = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
                }
                else if (epoch - bestEpoch >= options.Patience)
                {
                    break;
                }
            }

            if (best is not null)
            {
                model.load_state_dict(best);
            }

            model.eval();
            return summaries;
        }
        finally
        {
            DisposeAll(best);
            optimizer.Dispose();
            lossFunction.Dispose();
        }
    }

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        foreach (var t in tensors?.Values ?? Enumerable.Empty<Tensor>())
        {
            t.Dispose();
        }
    }

    /// <summary>Copies one image, mirrored left-right with probability 1/2 and shifted by up to one pixel each way (edges repeat).</summary>
    private static void Augment(ReadOnlySpan<float> source, Span<float> destination, int channels, int height, int width, Random random)
    {
        var flip = random.Next(2) == 1;
        var dx = random.Next(-1, 2);
        var dy = random.Next(-1, 2);
        for (var c = 0; c < channels; c++)
        {
            var plane = c * height * width;
            for (var y = 0; y < height; y++)
            {
                var sy = Math.Clamp(y + dy, 0, height - 1);
                for (var x = 0; x < width; x++)
                {
                    var sx = Math.Clamp(x + dx, 0, width - 1);
                    destination[plane + (y * width) + x] = source[plane + (sy * width) + (flip ? width - 1 - sx : sx)];
                }
            }
        }
    }

    /// <summary>Share of <paramref name="images"/> the network labels right (eval mode).</summary>
    public static double Accuracy(ScratchNetwork network, DecodedImages images, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var probabilities = network.Predict(images.Pixels, images.Count);
        var classes = probabilities.Length / Math.Max(1, images.Count);
        var right = 0;
        for (var i = 0; i < images.Count; i++)
        {
            var row = probabilities.AsSpan(i * classes, classes);
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row) == images.Labels[i])
            {
                right++;
            }
        }

        return (double)right / Math.Max(1, images.Count);
    }
}
