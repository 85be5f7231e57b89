using System.Globalization;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Runtime.Cnn;

namespace ImageWorkbench.Pipeline.Pictures;

/// <summary>Simple measured properties of one convolution kernel (see <see cref="KernelAnalysis.Measure"/>).</summary>
/// <param name="RelativeNorm">The kernel's L2 norm over the strongest kernel's of its layer (1 for the strongest).</param>
/// <param name="Balance">Sum of the weights over the sum of their magnitudes: 0 for a zero-mean (derivative-like) kernel, +1 all positive, -1 all negative.</param>
/// <param name="ColourShare">Share of the weights' energy that differs between channels (0 for a grey kernel, 0 with one channel).</param>
/// <param name="Coherence">How much one gradient orientation dominates the kernel's channel sum (structure tensor: 0 none, 1 a single one).</param>
/// <param name="GradientDegrees">That dominant gradient direction, degrees from the x axis (0..180, y pointing down).</param>
/// <param name="OddShare">Share of the energy in the part that changes sign under a 180 degree turn (1: a step edge; 0: a line, bar or spot).</param>
/// <param name="ChannelSums">Weight sum per channel in R, G, B order (one entry for a grey kernel).</param>
/// <param name="SobelCosine">For 3x3 kernels: the cosine of the channel sum with Sobel x and with Sobel y (NaN otherwise).</param>
public sealed record KernelProperties(double RelativeNorm, double Balance, double ColourShare, double Coherence, double GradientDegrees, double OddShare, IReadOnlyList<double> ChannelSums, (double X, double Y) SobelCosine);

/// <summary>
/// What a learned first-layer kernel responds to, from simple measurable properties (<see cref="KernelProperties"/>):
/// zero-mean or not, a dominant gradient orientation, odd or even symmetry, colour or grey, closeness to Sobel.
/// One generated line per kernel for reports and <c>pipeline features</c>.
/// </summary>
public static class KernelAnalysis
{
    /// <summary>Below this share of the strongest kernel's norm a kernel is reported as unused.</summary>
    private const double DeadNorm = 0.05;

    private static readonly string[] ChannelNames = ["red", "green", "blue"];

    public static KernelProperties Measure(ConvKernels layer, int index)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var kernel = layer.Kernel(index);
        int plane = layer.Height * layer.Width;
        var grey = new double[plane];
        var channelSums = new double[layer.Channels];
        double energy = 0, sum = 0, magnitude = 0;
        for (int c = 0; c < layer.Channels; c++)
        {
            for (int i = 0; i < plane; i++)
            {
                double w = kernel[(c * plane) + i];
                grey[i] += w;
                channelSums[c] += w;
                energy += w * w;
                sum += w;
                magnitude += Math.Abs(w);
            }
        }

        if (layer.ChannelsBgr && layer.Channels == 3)
        {
            Array.Reverse(channelSums);
        }

        double greyEnergy = grey.Sum(g => g * g) / layer.Channels;
        double colourShare = layer.Channels > 1 && energy > 0 ? Math.Clamp(1 - (greyEnergy / energy), 0, 1) : 0;
        var (coherence, gradient) = Orientation(grey, layer.Width, layer.Height);
        double odd = 0, even = 0;
        for (int i = 0; i < plane; i++)
        {
            double turned = grey[plane - 1 - i];
            odd += (grey[i] - turned) * (grey[i] - turned);
            even += (grey[i] + turned) * (grey[i] + turned);
        }

        var sobel = layer is { Height: 3, Width: 3 } ? (Cosine(grey, Kernels.SobelX.Values), Cosine(grey, Kernels.SobelY.Values)) : (double.NaN, double.NaN);
        return new KernelProperties(
            Math.Sqrt(energy) / Math.Max(StrongestNorm(layer), 1e-30),
            magnitude > 0 ? sum / magnitude : 0,
            colourShare,
            coherence,
            gradient,
            odd + even > 0 ? odd / (odd + even) : 0,
            channelSums,
            sobel);
    }

    /// <summary>One line per kernel, numbered from 1 in the layer's order (row by row in the pictures).</summary>
    public static IReadOnlyList<string> DescribeAll(ConvKernels layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return [.. Enumerable.Range(0, layer.Count).Select(k => string.Create(CultureInfo.InvariantCulture, $"#{k + 1}: {Describe(Measure(layer, k), layer)}"))];
    }

    /// <summary>What the kernel found, e.g. "edge detector, vertical edges; grey; balance +0.02, coherence 0.93, odd share 0.97; close to Sobel x (cos 0.95)".</summary>
    public static string Describe(KernelProperties p, ConvKernels layer)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(layer);
        if (p.RelativeNorm < DeadNorm)
        {
            return string.Create(CultureInfo.InvariantCulture, $"nearly zero weights ({p.RelativeNorm:0.000} of the strongest kernel's norm): unused");
        }

        bool colour = p.ColourShare >= 0.5;
        string kind;
        if (layer.Height * layer.Width == 1)
        {
            kind = "1x1 channel mix";
        }
        else if (Math.Abs(p.Balance) >= 0.3)
        {
            kind = colour ? $"colour blob ({Dominant(p.ChannelSums, p.Balance)})" : p.Balance > 0 ? "bright blob / smoothing (mostly positive)" : "dark blob / smoothing (mostly negative)";
        }
        else if (p.Coherence >= 0.45)
        {
            kind = p.OddShare >= 0.6 ? "edge detector, " + EdgeName(p.GradientDegrees, "edges") : "line / bar detector, " + EdgeName(p.GradientDegrees, "lines");
        }
        else
        {
            kind = p.OddShare < 0.4 ? "centre-surround spot detector" : "texture / high-frequency pattern, no dominant orientation";
        }

        string channels = layer.Channels != 3 ? "grey"
            : colour ? $"colour-opponent ({Opponents(p.ChannelSums)}, colour share {p.ColourShare.ToString("0.00", CultureInfo.InvariantCulture)})"
            : $"grey (colour share {p.ColourShare.ToString("0.00", CultureInfo.InvariantCulture)})";
        var line = string.Create(CultureInfo.InvariantCulture, $"{kind}; {channels}; balance {p.Balance:+0.00;-0.00;0.00}, coherence {p.Coherence:0.00}, odd share {p.OddShare:0.00}");
        var (x, y) = p.SobelCosine;
        if (!double.IsNaN(x) && Math.Max(Math.Abs(x), Math.Abs(y)) >= 0.8)
        {
            var (name, cos) = Math.Abs(x) >= Math.Abs(y) ? ("Sobel x", x) : ("Sobel y", y);
            line += string.Create(CultureInfo.InvariantCulture, $"; close to {(cos < 0 ? "-" : "")}{name} (cos {cos:0.00})");
        }

        return line;
    }

    /// <summary>Edge direction from the gradient direction (edges run across the gradient).</summary>
    private static string EdgeName(double gradientDegrees, string noun)
    {
        int bin = (int)Math.Round(gradientDegrees / 45.0) % 4;
        var name = bin switch
        {
            0 => $"vertical {noun}",
            1 => $"diagonal {noun} (/)",
            2 => $"horizontal {noun}",
            _ => $"diagonal {noun} (\\)",
        };
        return string.Create(CultureInfo.InvariantCulture, $"{name} (gradient at {gradientDegrees:0} deg)");
    }

    private static string Opponents(IReadOnlyList<double> sums)
    {
        double mean = sums.Average();
        int high = 0, low = 0;
        for (int c = 1; c < sums.Count; c++)
        {
            high = sums[c] - mean > sums[high] - mean ? c : high;
            low = sums[c] - mean < sums[low] - mean ? c : low;
        }

        return $"{ChannelNames[high]} + vs {ChannelNames[low]} -";
    }

    private static string Dominant(IReadOnlyList<double> sums, double balance)
    {
        int best = 0;
        for (int c = 1; c < sums.Count; c++)
        {
            best = balance * sums[c] > balance * sums[best] ? c : best;
        }

        return (balance > 0 ? "bright " : "dark ") + ChannelNames[best];
    }

    /// <summary>Structure tensor of the kernel (central differences, borders clamped): coherence and gradient direction.</summary>
    private static (double Coherence, double Degrees) Orientation(double[] g, int width, int height)
    {
        double xx = 0, yy = 0, xy = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double gx = g[(y * width) + Math.Min(x + 1, width - 1)] - g[(y * width) + Math.Max(x - 1, 0)];
                double gy = g[(Math.Min(y + 1, height - 1) * width) + x] - g[(Math.Max(y - 1, 0) * width) + x];
                xx += gx * gx;
                yy += gy * gy;
                xy += gx * gy;
            }
        }

        double trace = xx + yy;
        if (trace <= 0)
        {
            return (0, 0);
        }

        double coherence = Math.Sqrt(((xx - yy) * (xx - yy)) + (4 * xy * xy)) / trace;
        double degrees = 0.5 * Math.Atan2(2 * xy, xx - yy) * 180 / Math.PI;
        return (coherence, degrees < 0 ? degrees + 180 : degrees);
    }

    private static double Cosine(double[] a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return na > 0 && nb > 0 ? dot / Math.Sqrt(na * nb) : 0;
    }

    private static double StrongestNorm(ConvKernels layer)
    {
        double best = 0;
        for (int k = 0; k < layer.Count; k++)
        {
            double e = 0;
            foreach (var w in layer.Kernel(k))
            {
                e += (double)w * w;
            }

            best = Math.Max(best, e);
        }

        return Math.Sqrt(best);
    }
}
