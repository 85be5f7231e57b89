using System.Diagnostics;
using System.Globalization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImageWorkbench.Pipeline.Training.Torch;

/// <summary>A classifier whose last layer can first be fitted alone on the features in front of it (LP-FT).</summary>
internal interface IProbedClassifier : ITorchClassifier
{
    /// <summary>The linear layer that maps <see cref="Features"/> to class logits.</summary>
    Linear Head { get; }

    /// <summary>The features <see cref="Head"/> reads, for a batch of C x H x W images (the caller sets eval mode and no_grad).</summary>
    Tensor Features(Tensor input);
}

/// <summary>
/// The linear-probe step of LP-FT (Kumar et al. 2022, "Fine-Tuning can Distort Pretrained Features and Underperform
/// Out-of-Distribution"): before any layer is fine-tuned, the new head is fitted as a multinomial logistic regression
/// on the pretrained network's features of the (unaugmented) training images (at most
/// <see cref="MaxTrainImages"/>), so fine-tuning starts from a head that
/// already fits instead of a random one whose large early gradients distort the pretrained features. Full-batch Adam
/// on standardised features, the L2 penalty chosen on the validation split by log-loss; the standardisation is folded into
/// the head's weights after.
/// Deterministic for a given torch seed and data.
/// </summary>
internal static class LinearProbe
{
    /// <summary>Full-batch steps: the loss on standardised features settles well within them.</summary>
    public const int Steps = 300;

    public const double LearningRate = 0.01;

    /// <summary>L2 penalties on the standardised weights tried; the one with the lowest validation log-loss is kept.</summary>
    public static IReadOnlyList<double> WeightDecays { get; } = [1e-4, 1e-3, 1e-2, 1e-1];

    /// <summary>
    /// Training images the probe is fitted on at most (evenly spaced): 512 features x a few classes need no more, and
    /// on full Fashion-MNIST (48,000) this keeps the probe near a minute, so a <c>--max-minutes</c> budget that fitted
    /// four fine-tuning epochs still does.
    /// </summary>
    public const int MaxTrainImages = 10_000;

    /// <summary>The penalty used when there is no validation split to choose on.</summary>
    public const double DefaultWeightDecay = 1e-3;

    /// <summary>
    /// Fits <paramref name="network"/>'s head, the L2 penalty chosen on <paramref name="validation"/> (log-loss); returns
    /// the probe as epoch 0: its training loss and validation accuracy.
    /// </summary>
    public static EpochSummary Fit(IProbedClassifier network, DecodedImages train, DecodedImages validation, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        var stopwatch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        var sample = train.Sample(MaxTrainImages);
        var features = Features(network, sample, "linear probe: features of the training images", progress, cancellationToken);
        var mean = features.mean([0], keepdim: true);
        var std = features.std([0], keepdim: true).clamp_min(1e-6);
        var standardised = features.sub(mean).div(std);
        var labels = Labels(sample);
        var validationFeatures = validation.Count > 0
            ? Features(network, validation, "linear probe: features of the validation images", progress, cancellationToken).sub(mean).div(std)
            : null;
        var validationLabels = Labels(validation);
        var head = network.Head;
        (double Loss, double TrainLoss, double Accuracy, Tensor Weight, Tensor Bias)? best = null;
        foreach (var decay in validationFeatures is null ? [DefaultWeightDecay] : WeightDecays)
        {
            using var probe = nn.Linear(head.in_features, head.out_features);
            using (no_grad())
            {
                probe.weight!.copy_(head.weight!);
                probe.bias!.copy_(head.bias!);
            }

            var trainLoss = Train(probe, standardised, labels, decay, cancellationToken);
            using var _ = no_grad();
            var (loss, accuracy) = validationFeatures is null ? (0.0, 0.0) : Score(probe, validationFeatures, validationLabels);
            if (best is null || loss < best.Value.Loss)
            {
                best = (loss, trainLoss, accuracy, probe.weight!.detach().clone(), probe.bias!.detach().clone());
            }
        }

        var (_, chosenLoss, chosenAccuracy, w, b) = best!.Value;
        using (no_grad())
        {
            // logits = W (x - mean) / std + b = (W / std) x + (b - (W / std) mean)
            var weight = w.div(std);
            head.weight!.copy_(weight);
            head.bias!.copy_(b.sub(weight.matmul(mean.squeeze(0))));
        }

        var summary = new EpochSummary(0, chosenLoss, chosenAccuracy, LearningRate, sample.Count / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9));
        progress?.Report(new TrainingProgress(
            string.Create(CultureInfo.InvariantCulture, $"linear probe (epoch 0): loss {chosenLoss:0.0000}, validation accuracy {chosenAccuracy:0.0000}"), 0, 1, 0));
        return summary;
    }

    private static Tensor Labels(DecodedImages images) => tensor(images.Labels.Select(l => (long)l).ToArray(), [images.Count]);

    /// <summary>Full-batch Adam on the cross-entropy with L2 penalty <paramref name="decay"/>; the last training loss.</summary>
    private static double Train(Linear probe, Tensor features, Tensor labels, double decay, CancellationToken cancellationToken)
    {
        using var optimizer = optim.Adam(probe.parameters(), LearningRate, weight_decay: decay);
        var loss = 0.0;
        for (var step = 0; step < Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var l = nn.functional.cross_entropy(probe.forward(features), labels);
            l.backward();
            optimizer.step();
            loss = l.item<float>();
        }

        return loss;
    }

    /// <summary>Log-loss and accuracy of <paramref name="probe"/> on standardised features.</summary>
    private static (double Loss, double Accuracy) Score(Linear probe, Tensor features, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var logits = probe.forward(features);
        var loss = nn.functional.cross_entropy(logits, labels).item<float>();
        var accuracy = logits.argmax(1).eq(labels).to_type(ScalarType.Float64).mean().item<double>();
        return (loss, accuracy);
    }

    /// <summary>The head's input features of every image, [count, features], in eval mode without gradients.</summary>
    private static Tensor Features(IProbedClassifier network, DecodedImages images, string stage, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken, int batch = 64)
    {
        network.Module.eval();
        using var _ = no_grad();
        var parts = new List<Tensor>();
        for (var start = 0; start < images.Count; start += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = Math.Min(batch, images.Count - start);
            using var batchScope = NewDisposeScope();
            var x = tensor(images.Pixels.AsSpan(start * images.Length, n * images.Length).ToArray(), [n, network.Channels, network.Height, network.Width]);
            parts.Add(network.Features(x).flatten(1).detach().MoveToOuterDisposeScope());
            progress?.Report(new TrainingProgress(stage, start + n, images.Count, 0));
        }

        return cat(parts, 0);
    }
}
