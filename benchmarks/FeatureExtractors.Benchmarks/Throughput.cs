using System.Diagnostics;

namespace ImageWorkbench.FeatureExtractors.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/FeatureExtractors.Benchmarks -- --throughput [--data DIR] [--seconds S]</c>:
/// single-threaded images per second for each preset and each of its segments, over the Fashion-MNIST train
/// images when present (DIR/train-images-idx3-ubyte.gz, default /usr/share/datasets/fashion-mnist), else
/// synthetic images.
/// </summary>
internal static class Throughput
{
    public static int Run(string[] args)
    {
        string dir = Arg(args, "--data") ?? "/usr/share/datasets/fashion-mnist";
        double seconds = double.Parse(Arg(args, "--seconds") ?? "2", System.Globalization.CultureInfo.InvariantCulture);
        Console.WriteLine($"single thread, {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, Vector256 {System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated}, thread CPU clock {ThreadCpu.Available}");

        foreach (string name in FeatureSetPresets.Names)
        {
            FeatureSetDefinition d = FeatureSetPresets.Get(name);
            var (images, count, source) = Load(d.InputShape, dir);
            Console.WriteLine($"{name}: {d.InputShape} -> {d.OutputLength} features, {count} {source} images");
            Report("  total", d.CreateExtractor(), images, count, seconds);
            for (int i = 0; i < d.Segments.Count; i++)
            {
                Report($"  {d.Segments[i].Name,-10}", d.Extractors[i].CreateExtractor(d.InputShape), images, count, seconds / 2);
            }
        }

        var sobel = new float[28 * 28 * 2];
        var img = Images.Random(1, 28 * 28);
        Time("Sobel dx+dy 28x28", () => Gradients.Sobel(img, 28, 28, sobel.AsSpan(0, 784), sobel.AsSpan(784)), seconds / 2);
        if (args.Contains("--profile"))
        {
            var shape = new ImageShape(28, 28, 1);
            var t = new float[784];
            Time("  central diff 28x28", () => Gradients.Compute(img, shape, sobel.AsSpan(0, 784), sobel.AsSpan(784), GradientOperator.CentralDifference), seconds / 2);
            Time("  orientation 784", () => Gradients.Orientation(sobel.AsSpan(0, 784), sobel.AsSpan(784), t, false), seconds / 2);
            Time("  magnitude 784", () => Gradients.Magnitude(sobel.AsSpan(0, 784), sobel.AsSpan(784), t), seconds / 2);
            Hog hog = new HogOptions { CellSize = 4 }.CreateHog(shape);
            var f = new float[hog.OutputLength];
            var cells = new float[hog.CellHistogramLength];
            Time("  hog4 extract (random image)", () => hog.Extract(img, f), seconds / 2);
            Time("  hog4 cells only", () => hog.ComputeCellHistograms(img, cells), seconds / 2);
            Hog hogN = (new HogOptions { CellSize = 4, Vote = HogVote.Nearest }).CreateHog(shape);
            Time("  hog4 nearest extract", () => hogN.Extract(img, f), seconds / 2);
            var rgb = Images.Random(2, 64 * 64 * 3);
            var converted = new float[rgb.Length];
            Time("  RgbToLab 64x64", () => ColourSpaces.RgbToLab(rgb, converted, 64 * 64), seconds / 2);
            Time("  RgbToHsv 64x64", () => ColourSpaces.RgbToHsv(rgb, converted, 64 * 64), seconds / 2);
        }
        return 0;
    }

    private static (float[] Images, int Count, string Source) Load(ImageShape shape, string dir)
    {
        string path = Path.Combine(dir, "train-images-idx3-ubyte.gz");
        if (shape.Channels == 1 && File.Exists(path))
        {
            var (pixels, count, rows, cols) = Images.ReadIdxImages(path);
            if (rows == shape.Height && cols == shape.Width)
            {
                return (pixels, count, "Fashion-MNIST train");
            }
        }

        const int n = 2000;
        return (Images.Random(7, n * shape.Length), n, "synthetic random");
    }

    /// <summary>
    /// Runs <see cref="Trials"/> timed trials of about seconds/Trials each over consecutive images and prints the
    /// best and the median trial, in images per CPU-second of this thread (= per core) and per wall second.
    /// On a shared machine the best trial is the closest to the uncontended speed.
    /// </summary>
    private static void Report(string label, IFeatureExtractor e, float[] images, int count, double seconds)
    {
        int len = e.InputShape.Length;
        var f = new float[e.OutputLength];
        for (int i = 0; i < Math.Min(count, 2000); i++)
        {
            e.Extract(images.AsSpan(i * len, len), f); // warm-up
        }

        var cpuRates = new double[Trials];
        var wallRates = new double[Trials];
        float sink = 0;
        int next = 0;
        long total = 0;
        for (int t = 0; t < Trials; t++)
        {
            long done = 0;
            double cpu0 = ThreadCpu.Seconds();
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < seconds / Trials)
            {
                for (int k = 0; k < 256; k++)
                {
                    e.Extract(images.AsSpan(next * len, len), f);
                    sink += f[0];
                    next = next + 1 == count ? 0 : next + 1;
                }

                done += 256;
            }

            double wall = sw.Elapsed.TotalSeconds, cpu = ThreadCpu.Seconds() - cpu0;
            cpuRates[t] = done / cpu;
            wallRates[t] = done / wall;
            total += done;
        }

        Array.Sort(cpuRates);
        Array.Sort(wallRates);
        double best = cpuRates[^1];
        Console.WriteLine(
            $"{label} best {best,10:N0} images/CPU-s ({1e6 / best,6:F2} us/image), median {cpuRates[Trials / 2],10:N0}; wall best {wallRates[^1],10:N0} median {wallRates[Trials / 2],10:N0} images/s  [{total} images, sink {sink:F0}]");
    }

    private const int Trials = 9;

    private static void Time(string label, Action a, double seconds)
    {
        for (int i = 0; i < 10000; i++)
        {
            a();
        }

        var ns = new double[Trials];
        for (int t = 0; t < Trials; t++)
        {
            long n = 0;
            double cpu0 = ThreadCpu.Seconds();
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < seconds / Trials)
            {
                for (int i = 0; i < 1000; i++)
                {
                    a();
                }

                n += 1000;
            }

            ns[t] = (ThreadCpu.Seconds() - cpu0) * 1e9 / n;
        }

        Array.Sort(ns);
        Console.WriteLine($"{label}: best {ns[0]:F1} ns CPU/op, median {ns[Trials / 2]:F1}");
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
