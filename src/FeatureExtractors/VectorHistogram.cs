using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// Branch-free small histograms: bin b of <c>hist.Length</c> bins holds the values in
/// <c>[b * binWidth, (b + 1) * binWidth)</c>; values below 0 (and NaN) land in bin 0, values past the end in
/// the last bin. Built from cumulative vector counts (<c>#(v &gt;= k * binWidth)</c>), so there are no
/// scattered read-modify-write chains when many pixels share a bin.
/// </summary>
internal static class VectorHistogram
{
    /// <summary>hist[b] = number of values in bin b.</summary>
    public static void Count(ReadOnlySpan<float> values, float binWidth, Span<float> hist) =>
        Accumulate(values, default, binWidth, hist, weighted: false);

    /// <summary>hist[b] = sum of the weights of the values in bin b.</summary>
    public static void Weighted(ReadOnlySpan<float> values, ReadOnlySpan<float> weights, float binWidth, Span<float> hist) =>
        Accumulate(values, weights, binWidth, hist, weighted: true);

    private static void Accumulate(ReadOnlySpan<float> values, ReadOnlySpan<float> weights, float binWidth, Span<float> hist, bool weighted)
    {
        int bins = hist.Length;
        if (bins == 0)
        {
            return;
        }

        float total = weighted ? Sum(weights) : values.Length;
        float previous = total; // #(v >= 0 * width) counts everything: bin 0 also takes negatives and NaN
        for (int k = 1; k < bins; k++)
        {
            float atLeast = CountAtLeast(values, weights, k * binWidth, weighted);
            hist[k - 1] = previous - atLeast;
            previous = atLeast;
        }

        hist[bins - 1] = previous;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a per-image loop: optimised from its first call (see Hog.ComputeVotes)
    private static float CountAtLeast(ReadOnlySpan<float> values, ReadOnlySpan<float> weights, float threshold, bool weighted)
    {
        int n = values.Length, i = 0;
        float sum = 0f;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            ref float rv = ref MemoryMarshal.GetReference(values);
            Vector256<float> t = Vector256.Create(threshold);
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
            if (weighted)
            {
                ref float rw = ref MemoryMarshal.GetReference(weights);
                for (; i <= n - 16; i += 16)
                {
                    acc0 += Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref rv, (nuint)i), t) & Vector256.LoadUnsafe(ref rw, (nuint)i);
                    acc1 += Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref rv, (nuint)(i + 8)), t) & Vector256.LoadUnsafe(ref rw, (nuint)(i + 8));
                }

                for (; i <= n - 8; i += 8)
                {
                    acc0 += Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref rv, (nuint)i), t) & Vector256.LoadUnsafe(ref rw, (nuint)i);
                }
            }
            else
            {
                Vector256<float> one = Vector256.Create(1f);
                for (; i <= n - 16; i += 16)
                {
                    acc0 += Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref rv, (nuint)i), t) & one;
                    acc1 += Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref rv, (nuint)(i + 8)), t) & one;
                }

                for (; i <= n - 8; i += 8)
                {
                    acc0 += Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref rv, (nuint)i), t) & one;
                }
            }

            sum = Vector256.Sum(acc0 + acc1);
        }

        for (; i < n; i++)
        {
            if (values[i] >= threshold)
            {
                sum += weighted ? weights[i] : 1f;
            }
        }

        return sum;
    }

    private static float Sum(ReadOnlySpan<float> v) => System.Numerics.Tensors.TensorPrimitives.Sum(v);
}
