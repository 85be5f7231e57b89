using System.Collections.Immutable;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ImageWorkbench.FeatureExtractors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms;

namespace ImageWorkbench.Runtime.HandCrafted;

/// <summary>
/// Scores a hand-crafted model whose head is linear (preset features, an affine normaliser, a maximum-entropy
/// classifier: what <c>--trainer lbfgs</c> and <c>sdca</c> save) in our own code, from the parameters ML.NET's public
/// API gives, with the same arithmetic as ML.NET's engine. Why: ML.NET's row machinery (getters, per-feature buffer
/// builders in the normaliser) costs more per image than the features, and it starts every run as unoptimised tier-0
/// code, which a short batch (10,000 files in under a second) spends most of its time in. Nothing is trusted blindly:
/// <see cref="TryCreate"/> returns null for any other chain, and <see cref="Agrees(IReadOnlyList{float[]}, float)"/> compares the scores with the
/// engine's, bit for bit, before a caller may use it.
/// </summary>
internal sealed partial class DirectLinearScorer
{
    private readonly FeatureSetDefinition _features;
    private readonly float[]? _offset;
    private readonly float[] _scale;
    private readonly float[][] _weights;
    private readonly float[] _biases;

    private DirectLinearScorer(FeatureSetDefinition features, float[]? offset, float[] scale, float[][] weights, float[] biases)
    {
        _features = features;
        _offset = offset;
        _scale = scale;
        _weights = weights;
        _biases = biases;
    }

    /// <summary>Pixels one call reads.</summary>
    public int InputLength => _features.InputShape.Length;

    /// <summary>Scores one call writes (one per class, in class order).</summary>
    public int ClassCount => _biases.Length;

    /// <summary>
    /// The scorer of <paramref name="pixelsModel"/> (a saved chain after its decode step) when it is exactly
    /// hand-crafted preset features, one affine normaliser and a maximum-entropy head (a key-to-name step after it
    /// changes no score); null for anything else, which then keeps ML.NET's engine.
    /// </summary>
    public static DirectLinearScorer? TryCreate(ITransformer pixelsModel)
    {
        if (Match(pixelsModel) is not var (features, normaliser, head))
        {
            return null;
        }

        if (normaliser.GetNormalizerModelParameters(0) is not NormalizingTransformer.AffineNormalizerModelParameters<ImmutableArray<float>> affine
            || affine.Scale.Length != features.OutputLength
            || !(affine.Offset.IsDefaultOrEmpty || affine.Offset.Length == features.OutputLength))
        {
            return null;
        }

        VBuffer<float>[] weights = [];
        head.Model.GetWeights(ref weights, out var classes);
        var biases = head.Model.GetBiases().ToArray();
        // Sparse weights (none of ML.NET 5.0.1's loaded models has them, zeros or not) would be summed in yet another
        // order against a dense row: left to the engine rather than reproduced untested.
        if (classes != biases.Length || weights.Length != classes || weights.Any(w => w.Length != features.OutputLength || !w.IsDense))
        {
            return null;
        }

        var dense = weights.Select(w => w.GetValues().ToArray()).ToArray();
        return new DirectLinearScorer(features, affine.Offset.IsDefaultOrEmpty ? null : [.. affine.Offset], [.. affine.Scale], dense, biases);
    }

    /// <summary>True when <paramref name="pixelsModel"/> is a chain of the kind <see cref="TryCreate"/> reads (its parameters unread).</summary>
    public static bool MayScore(ITransformer pixelsModel) => Match(pixelsModel) is not null;

    private static (FeatureSetDefinition Features, NormalizingTransformer Normaliser, MulticlassPredictionTransformer<MaximumEntropyModelParameters> Head)? Match(ITransformer pixelsModel)
    {
        ArgumentNullException.ThrowIfNull(pixelsModel);
        var steps = new List<ITransformer>();
        Flatten(pixelsModel, steps);
        return steps is [var featurizer, NormalizingTransformer normaliser, MulticlassPredictionTransformer<MaximumEntropyModelParameters> head, .. var rest]
            && rest.All(step => step is KeyToValueMappingTransformer)
            && HandCraftedMapping.PresetOf(featurizer) is { } features
            ? (features, normaliser, head)
            : null;
    }

    /// <summary>Per-caller working memory (the extractor owns scratch buffers; not thread-safe).</summary>
    public Scratch CreateScratch() => new(_features.CreateExtractor(), _features.OutputLength);

    /// <summary>Writes the class probabilities of one image of the feature set's input shape into <paramref name="scores"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs from the first image of a short batch: tier 0 would cost most of it
    public void Score(ReadOnlySpan<float> pixels, Scratch scratch, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        if (pixels.Length != InputLength)
        {
            throw new ArgumentException($"feature set {_features.Name} expects {InputLength} pixels ({_features.InputShape}), got {pixels.Length}", nameof(pixels));
        }

        var features = scratch.Features;
        scratch.Extractor.Extract(pixels, features);

        // The normaliser: (x - offset) * scale, element by element (each is one rounding, as in ML.NET's loop).
        if (_offset is not null)
        {
            TensorPrimitives.Subtract(features, _offset, features);
        }

        TensorPrimitives.Multiply(features, _scale, features);

        // The engine's normaliser builds its output row sparse (zeros left out) and turns it dense once half of it is
        // non-zero (BufferBuilder); the head then sums a sparse row over its non-zero entries, a dense row over all.
        var nonZero = scratch.NonZero;
        var nonZeroCount = 0;
        for (var i = 0; i < features.Length; i++)
        {
            if (features[i] != 0)
            {
                nonZero[nonZeroCount++] = i;
            }
        }

        var rowIsDense = nonZeroCount >= features.Length / 2;
        var rowValues = scratch.RowValues.AsSpan(0, nonZeroCount);
        if (!rowIsDense)
        {
            for (var i = 0; i < nonZeroCount; i++)
            {
                rowValues[i] = features[nonZero[i]];
            }
        }

        // The head: bias + w . x per class, then ML.NET's softmax (log-sum-exp in double around the largest score).
        for (var c = 0; c < _biases.Length; c++)
        {
            var weights = _weights[c];
            float dot;
            if (!rowIsDense)
            {
                // a sparse row: the weights at its non-zero entries, summed as CpuMath's sparse dot sums them
                var gathered = scratch.Gathered.AsSpan(0, nonZeroCount);
                for (var i = 0; i < nonZeroCount; i++)
                {
                    gathered[i] = weights[nonZero[i]];
                }

                dot = SparseDot(gathered, rowValues);
            }
            else
            {
                dot = TensorPrimitives.Dot(weights, features); // what CpuMath's dense dot calls
            }

            scores[c] = _biases[c] + dot;
        }

        Softmax(scores[.._biases.Length]);
    }

    /// <summary>
    /// True when this scorer's probabilities equal <paramref name="reference"/>'s (ML.NET's engine) bit for bit on a few
    /// fixed images (blank, mid-grey, a ramp, seeded noise) of the feature set's shape: the direct path is used only
    /// when it gives what the engine gives, so <c>predict</c> and <c>evaluate</c> cannot disagree.
    /// </summary>
    public bool Agrees(Func<float[], float[]> reference, float pixelScale) => Agrees(ProbeScores(reference, InputLength, pixelScale), pixelScale);

    /// <summary>
    /// True when this scorer's probabilities on the probe images equal <paramref name="expected"/> bit for bit: the
    /// engine's scores of <see cref="Probes"/> in order, computed now or recorded when the model was saved.
    /// </summary>
    public bool Agrees(IReadOnlyList<float[]> expected, float pixelScale)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var scratch = CreateScratch();
        var mine = new float[ClassCount];
        var index = 0;
        foreach (var probe in Probes(InputLength, pixelScale))
        {
            if (index >= expected.Count || expected[index].Length != mine.Length)
            {
                return false;
            }

            var theirs = expected[index++];
            Score(probe, scratch, mine);
            for (var i = 0; i < mine.Length; i++)
            {
                if (BitConverter.SingleToInt32Bits(mine[i]) != BitConverter.SingleToInt32Bits(theirs[i]))
                {
                    return false;
                }
            }
        }

        return index == expected.Count;
    }

    /// <summary>What <paramref name="score"/> gives for each of <see cref="Probes"/>, in order (copied: engines reuse their output).</summary>
    internal static float[][] ProbeScores(Func<float[], float[]> score, int length, float pixelScale)
    {
        ArgumentNullException.ThrowIfNull(score);
        return [.. Probes(length, pixelScale).Select(probe => (float[])score(probe).Clone())];
    }

    /// <summary>The fixed images <see cref="Agrees(IReadOnlyList{float[]}, float)"/> compares on, values 0..<paramref name="scale"/>.</summary>
    internal static IEnumerable<float[]> Probes(int length, float scale)
    {
        yield return new float[length];
        var grey = new float[length];
        Array.Fill(grey, 0.5f * scale);
        yield return grey;
        var ramp = new float[length];
        for (var i = 0; i < length; i++)
        {
            ramp[i] = scale * i / length;
        }

        yield return ramp;
        var noise = new float[length];
        var random = new Random(20261202);
        for (var i = 0; i < length; i++)
        {
            noise[i] = scale * (float)random.NextDouble();
        }

        yield return noise;
    }

    /// <summary>
    /// The sum CpuMath forms for a sparse row against dense weights (the row's non-zero values and the weights at their
    /// indices, gathered): fewer than 16 terms one by one; otherwise on an AVX machine eight lanes accumulated by fused
    /// multiply-adds (multiply then add without FMA), the lanes summed pairwise as two horizontal adds do, then one block
    /// of four summed the same way, then the last terms one by one. Measured against the engine's own routine on
    /// random rows. Without AVX the engine sums otherwise and <see cref="Agrees(IReadOnlyList{float[]}, float)"/> keeps the engine.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float SparseDot(ReadOnlySpan<float> weights, ReadOnlySpan<float> values)
    {
        const int sequentialBelow = 16;
        var count = weights.Length;
        var tail = 0f;
        var i = 0;
        if (count < sequentialBelow || !Avx.IsSupported)
        {
            for (; i < count; i++)
            {
                tail += weights[i] * values[i];
            }

            return tail;
        }

        var lanes = Vector256<float>.Zero;
        for (; i + 8 <= count; i += 8)
        {
            var w = Vector256.Create(weights.Slice(i, 8));
            var x = Vector256.Create(values.Slice(i, 8));
            lanes = Fma.IsSupported ? Fma.MultiplyAdd(w, x, lanes) : Avx.Add(Avx.Multiply(x, w), lanes);
        }

        var blocks = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        if (i + 4 <= count)
        {
            float p0 = weights[i] * values[i], p1 = weights[i + 1] * values[i + 1], p2 = weights[i + 2] * values[i + 2], p3 = weights[i + 3] * values[i + 3];
            tail = (p0 + p1) + (p2 + p3);
            i += 4;
        }

        for (; i < count; i++)
        {
            tail += weights[i] * values[i];
        }

        return tail + blocks;
    }

    /// <summary>
    /// ML.NET's maximum-entropy calibration: the log-sum-exp of the scores (in double, scores more than 30 below the
    /// largest left out), then each probability exp(score - logSumExp) in double, rounded to float.
    /// </summary>
    private static void Softmax(Span<float> scores)
    {
        const float logTolerance = 30;
        var maxIndex = 0;
        var max = float.NegativeInfinity;
        for (var i = 0; i < scores.Length; i++)
        {
            if (scores[i] > max)
            {
                maxIndex = i;
                max = scores[i];
            }
        }

        float logSumExp;
        if (float.IsNegativeInfinity(max) || scores.Length == 1)
        {
            logSumExp = max;
        }
        else
        {
            var sum = 0.0;
            var cutoff = max - logTolerance;
            for (var i = 0; i < scores.Length; i++)
            {
                if (i != maxIndex && scores[i] > cutoff)
                {
                    sum += Math.Exp(scores[i] - max);
                }
            }

            logSumExp = sum > 0.0 ? (float)(max + Math.Log(1.0 + sum)) : max;
        }

        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = (float)Math.Exp(scores[i] - logSumExp);
        }
    }

    private static void Flatten(ITransformer transformer, List<ITransformer> steps)
    {
        if (transformer is IEnumerable<ITransformer> chain) // any TransformerChain<T>, nested as the trainer saved it
        {
            foreach (var step in chain)
            {
                Flatten(step, steps);
            }
        }
        else
        {
            steps.Add(transformer);
        }
    }

    /// <summary>One caller's extractor and buffers: features, the row's non-zero indices and values, gathered weights.</summary>
    internal sealed class Scratch(IFeatureExtractor extractor, int featureLength)
    {
        public IFeatureExtractor Extractor { get; } = extractor;

        public float[] Features { get; } = new float[featureLength];

        public int[] NonZero { get; } = new int[featureLength];

        public float[] RowValues { get; } = new float[featureLength];

        public float[] Gathered { get; } = new float[featureLength];
    }
}
