using System.Diagnostics;
using System.Globalization;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImageWorkbench.Pipeline.Training.Torch;

/// <summary>Decoded images of one split, planar C x H x W each, one after another, with their 0-based labels.</summary>
internal sealed record DecodedImages(float[] Pixels, int[] Labels, int Length)
{
    public int Count => Labels.Length;

    /// <summary>At most <paramref name="most"/> of the images, evenly spaced (all of them when there are no more).</summary>
    public DecodedImages Sample(int most)
    {
        if (Count <= most)
        {
            return this;
        }

        var step = (double)Count / most;
        var pixels = new float[(long)most * Length];
        var labels = new int[most];
        for (var i = 0; i < most; i++)
        {
            var from = (int)(i * step);
            Pixels.AsSpan(from * Length, Length).CopyTo(pixels.AsSpan(i * Length, Length));
            labels[i] = Labels[from];
        }

        return new DecodedImages(pixels, labels, Length);
    }

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

/// <summary>A TorchSharp image classifier the workbench trains: a module from C x H x W pixels to class logits.</summary>
internal interface ITorchClassifier : IDisposable
{
    nn.Module<Tensor, Tensor> Module { get; }

    int Channels { get; }

    int Height { get; }

    int Width { get; }

    /// <summary>The weights the optimiser changes (all of a network trained from scratch; the last stages and head of a fine-tuned one).</summary>
    IEnumerable<Parameter> TrainableParameters();

    /// <summary>Puts the parts that learn in training mode (batch-norm statistics, dropout); frozen parts stay in eval mode.</summary>
    void TrainMode();
}

/// <summary>How <see cref="TorchTrainer.Fit"/> trains: the options users know from ML.NET's ImageClassificationTrainer, plus the augmentation.</summary>
/// <param name="Epochs">Most passes over the training split (early stopping or the time budget may end sooner).</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="LearningRate">Adam's initial learning rate; a cosine schedule lowers it to 2 % of that by the last epoch.</param>
/// <param name="Patience">Epochs without a better validation accuracy before training stops.</param>
/// <param name="Flip">Mirror images left-right at random (not for sets where that changes the class).</param>
/// <param name="MaxShift">Shift images by up to this many pixels each way at random (edges repeat).</param>
/// <param name="MaxMinutes">Training-time budget: no epoch is started that would end after it (judged from the epochs so far), and an epoch still running at it ends there (validated like a whole one); null: no budget.</param>
/// <param name="LinearProbe">LP-FT: fit the head alone on the frozen features first (<see cref="Torch.LinearProbe"/>), as epoch 0, when the network is an <see cref="IProbedClassifier"/>.</param>
internal sealed record TorchFitSettings(int Epochs, int BatchSize, double LearningRate, int Patience, bool Flip, int MaxShift, double? MaxMinutes = null, bool LinearProbe = false);

/// <summary>
/// Trains an <see cref="ITorchClassifier"/> with Adam and a cosine learning-rate schedule (per epoch), random
/// horizontal flips and small shifts as augmentation, and early stopping on the validation split: the weights of
/// the epoch with the best validation accuracy are kept (with <see cref="TorchFitSettings.LinearProbe"/>, epoch 0 is
/// the head fitted alone on the pretrained features, kept when no fine-tuned epoch beats it). Cancellation is checked before every batch; a cancelled run
/// throws <see cref="OperationCanceledException"/> and leaves nothing behind.
/// </summary>
internal static class TorchTrainer
{
    public static List<EpochSummary> Fit(ITorchClassifier network, TorchFitSettings settings, int seed, DecodedImages train, DecodedImages validation,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken, out int bestEpoch)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        var model = network.Module;
        var optimizer = optim.Adam(network.TrainableParameters(), settings.LearningRate);
        var schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, settings.Epochs, settings.LearningRate * 0.02);
        var lossFunction = nn.CrossEntropyLoss();
        var random = new Random(seed);
        var order = Enumerable.Range(0, train.Count).ToArray();
        var batchSize = Math.Min(settings.BatchSize, Math.Max(1, train.Count));
        var batches = (train.Count + batchSize - 1) / batchSize;
        var length = train.Length;
        var buffer = new float[batchSize * length];
        var labels = new long[batchSize];
        var summaries = new List<EpochSummary>();
        Dictionary<string, Tensor>? best = null;
        var bestAccuracy = -1.0;
        var budget = Stopwatch.StartNew();
        var probeTime = TimeSpan.Zero;
        bestEpoch = 0;
        try
        {
            if (settings.LinearProbe && network is IProbedClassifier probed)
            {
                // LP-FT: the head fitted alone first is epoch 0; it is kept unless a fine-tuned epoch beats it on validation
                var probe = LinearProbe.Fit(probed, train, validation, progress, cancellationToken);
                summaries.Add(probe);
                bestAccuracy = probe.ValidationAccuracy;
                best = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
                probeTime = budget.Elapsed;
            }

            for (var epoch = 1; epoch <= settings.Epochs; epoch++)
            {
                if (settings.MaxMinutes is { } minutes && epoch > 1 && (budget.Elapsed + ((budget.Elapsed - probeTime) / (epoch - 1))).TotalMinutes > minutes)
                {
                    progress?.Report(new TrainingProgress(string.Create(CultureInfo.InvariantCulture, $"time budget of {minutes} min reached after {epoch - 1} epochs"), epoch - 1, settings.Epochs, 0));
                    break;
                }

                network.TrainMode();
                random.Shuffle(order);
                var stopwatch = Stopwatch.StartNew();
                double lossSum = 0;
                var seen = 0;
                var stage = string.Create(CultureInfo.InvariantCulture, $"training epoch {epoch}/{settings.Epochs}");
                var outOfTime = false;
                for (var b = 0; b < batches; b++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (settings.MaxMinutes is { } limit && budget.Elapsed.TotalMinutes > limit)
                    {
                        outOfTime = true; // this epoch ends here: validated like a whole one, then training stops
                        break;
                    }

                    var n = Math.Min(batchSize, train.Count - (b * batchSize));
                    if (n == 1 && b > 0)
                    {
                        continue; // batch norm cannot learn from one image whose last map is 1x1; it is in another batch next epoch
                    }

                    for (var i = 0; i < n; i++)
                    {
                        var index = order[(b * batchSize) + i];
                        Augment(train.Pixels.AsSpan(index * length, length), buffer.AsSpan(i * length, length), network.Channels, network.Height, network.Width, settings, random);
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
                    seen += n;
                    var done = (b * batchSize) + n;
                    progress?.Report(new TrainingProgress(stage, done, train.Count, done / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9)));
                }

                var rate = seen / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9);
                var learningRate = optimizer.ParamGroups.First().LearningRate;
                schedule.step();
                var accuracy = validation.Count > 0 ? Accuracy(network, validation, cancellationToken) : 0;
                var summary = new EpochSummary(epoch, lossSum / Math.Max(1, seen), accuracy, learningRate, rate);
                summaries.Add(summary);
                progress?.Report(new TrainingProgress(
                    string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{settings.Epochs}: loss {summary.TrainLoss:0.0000}, validation accuracy {accuracy:0.0000}, {rate:0} img/s"),
                    epoch, settings.Epochs, 0));
                if (accuracy > bestAccuracy)
                {
                    bestAccuracy = accuracy;
                    bestEpoch = epoch;
                    DisposeAll(best);
                    best = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
                }
                else if (epoch - bestEpoch >= settings.Patience)
                {
                    break;
                }

                if (outOfTime)
                {
                    progress?.Report(new TrainingProgress(string.Create(CultureInfo.InvariantCulture, $"time budget of {settings.MaxMinutes} min reached in epoch {epoch} after {seen:N0} of {train.Count:N0} images"), epoch, settings.Epochs, 0));
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

    /// <summary>Copies one image, mirrored left-right with probability 1/2 (if asked) and shifted by up to <see cref="TorchFitSettings.MaxShift"/> pixels each way (edges repeat).</summary>
    private static void Augment(ReadOnlySpan<float> source, Span<float> destination, int channels, int height, int width, TorchFitSettings settings, Random random)
    {
        var flip = random.Next(2) == 1 && settings.Flip;
        var dx = random.Next(-settings.MaxShift, settings.MaxShift + 1);
        var dy = random.Next(-settings.MaxShift, settings.MaxShift + 1);
        for (var c = 0; c < channels; c++)
        {
            var plane = c * height * width;
            for (var y = 0; y < height; y++)
            {
                var sy = Math.Clamp(y + dy, 0, height - 1);
                var row = destination.Slice(plane + (y * width), width);
                var sourceRow = source.Slice(plane + (sy * width), width);
                for (var x = 0; x < width; x++)
                {
                    var sx = Math.Clamp(x + dx, 0, width - 1);
                    row[x] = sourceRow[flip ? width - 1 - sx : sx];
                }
            }
        }
    }

    /// <summary>Class probabilities of <paramref name="count"/> images (planar C x H x W each, concatenated), in eval mode.</summary>
    public static float[] Predict(ITorchClassifier network, float[] pixels, int count, int batch = 128)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(pixels);
        network.Module.eval();
        using var _ = no_grad();
        var length = network.Channels * network.Height * network.Width;
        var result = new List<float>();
        for (var start = 0; start < count; start += batch)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(batch, count - start);
            var x = tensor(pixels.AsSpan(start * length, n * length).ToArray(), [n, network.Channels, network.Height, network.Width]);
            var probabilities = nn.functional.softmax(network.Module.forward(x), 1);
            result.AddRange(probabilities.data<float>().ToArray());
        }

        return [.. result];
    }

    /// <summary>Share of <paramref name="images"/> the network labels right (eval mode).</summary>
    public static double Accuracy(ITorchClassifier network, DecodedImages images, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(images);
        cancellationToken.ThrowIfCancellationRequested();
        var probabilities = Predict(network, images.Pixels, images.Count);
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
