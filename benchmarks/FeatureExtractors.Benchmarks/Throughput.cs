using System.Diagnostics;

namespace FeatureExtractors.Benchmarks;

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

    private static void Report(string label, IFeatureExtractor e, float[] images, int count, double seconds)
    {
        int len = e.InputShape.Length;
        var f = new float[e.OutputLength];
        for (int i = 0; i < Math.Min(count, 2000); i++)
        {
            e.Extract(images.AsSpan(i * len, len), f); // warm-up
        }

        long done = 0;
        float sink = 0;
        double cpu0 = ThreadCpu.Seconds();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            for (int i = 0; i < count; i++)
            {
                e.Extract(images.AsSpan(i * len, len), f);
                sink += f[0];
                if ((i & 1023) == 1023 && sw.Elapsed.TotalSeconds >= seconds)
                {
                    done += i + 1;
                    goto stop;
                }
            }

            done += count;
        }

    stop:
        sw.Stop();
        double cpu = ThreadCpu.Seconds() - cpu0;
        double rate = done / sw.Elapsed.TotalSeconds, cpuRate = done / cpu;
        Console.WriteLine($"{label} {cpuRate,10:N0} images/CPU-s ({1e6 / cpuRate,6:F2} us CPU/image)  wall {rate,10:N0} images/s  [{done} images, sink {sink:F1}]");
    }

    private static void Time(string label, Action a, double seconds)
    {
        for (int i = 0; i < 10000; i++)
        {
            a();
        }

        long n = 0;
        double cpu0 = ThreadCpu.Seconds();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            for (int i = 0; i < 10000; i++)
            {
                a();
            }

            n += 10000;
        }

        double cpu = ThreadCpu.Seconds() - cpu0;
        Console.WriteLine($"{label}: {cpu * 1e9 / n:F1} ns CPU/op, wall {sw.Elapsed.TotalNanoseconds / n:F1} ns/op");
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
