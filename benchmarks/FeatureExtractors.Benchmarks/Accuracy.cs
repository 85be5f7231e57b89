using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Numerics.Tensors;

namespace ImageWorkbench.FeatureExtractors.Benchmarks;

/// <summary>
/// <c>--accuracy [--data DIR] [--epochs N]</c>: a sanity check of feature-set choices on Fashion-MNIST.
/// Extracts each candidate set, standardises the features and trains a plain multinomial logistic
/// regression by SGD (a linear model, like the linear SVM of the reference figures, but not the same
/// trainer: compare candidates with each other, not with those figures to the last digit).
/// </summary>
internal static class Accuracy
{
    public static int Run(string[] args)
    {
        string dir = Arg(args, "--data") ?? "/usr/share/datasets/fashion-mnist";
        int epochs = int.Parse(Arg(args, "--epochs") ?? "8", System.Globalization.CultureInfo.InvariantCulture);
        string train = Path.Combine(dir, "train-images-idx3-ubyte.gz"), test = Path.Combine(dir, "t10k-images-idx3-ubyte.gz");
        if (!File.Exists(train) || !File.Exists(test))
        {
            Console.WriteLine($"Fashion-MNIST not found in {dir}");
            return 1;
        }

        var (trainX, trainN, _, _) = Images.ReadIdxImages(train);
        var (testX, testN, _, _) = Images.ReadIdxImages(test);
        byte[] trainY = ReadLabels(Path.Combine(dir, "train-labels-idx1-ubyte.gz"));
        byte[] testY = ReadLabels(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"));
        var shape = new ImageShape(28, 28, 1);
        var hog4 = new HogOptions { CellSize = 4, BlockSize = 2, Bins = 9 };
        var hog7 = new HogOptions { CellSize = 7, BlockSize = 2, Bins = 9 };
        var candidates = new FeatureSetDefinition[]
        {
            new("pixels784", shape, [("pixels", new PixelsOptions())]),
            new("hog4-skimage", shape, [("hog4", HogOptions.ScikitImage(4, 2))]),
            new("hog4-linear", shape, [("hog4", hog4)]),
            new("hog4+hog7", shape, [("hog4", hog4), ("hog7", hog7)]),
            FeatureSetPresets.Grey28V1,
            new("hog4+hog7+pixels784+intensity", shape, [("hog4", hog4), ("hog7", hog7), ("pixels", new PixelsOptions()), ("intensity", ColourStatisticsOptions.Intensity(8))]),
            new("hog4+hog7signed18+pixels196+intensity", shape, [("hog4", hog4), ("hog7", hog7 with { Signed = true, Bins = 18 }), ("pixels", new PixelsOptions { BlockSize = 2 }), ("intensity", ColourStatisticsOptions.Intensity(8))]),
        };

        foreach (FeatureSetDefinition d in candidates)
        {
            var sw = Stopwatch.StartNew();
            float[] xTrain = Extract(d, trainX, trainN), xTest = Extract(d, testX, testN);
            double extractSeconds = sw.Elapsed.TotalSeconds;
            Standardise(xTrain, xTest, d.OutputLength);
            sw.Restart();
            double acc = TrainAndTest(xTrain, trainY, xTest, testY, d.OutputLength, epochs);
            Console.WriteLine($"{d.Name,-42} {d.OutputLength,5} features  test accuracy {acc:F4}  (extract {extractSeconds:F1}s, train {sw.Elapsed.TotalSeconds:F0}s)");
        }

        return 0;
    }

    private static float[] Extract(FeatureSetDefinition d, float[] images, int n)
    {
        IFeatureExtractor e = d.CreateExtractor();
        int len = d.InputShape.Length, dim = d.OutputLength;
        var x = new float[(long)n * dim];
        for (int i = 0; i < n; i++)
        {
            e.Extract(images.AsSpan(i * len, len), x.AsSpan(i * dim, dim));
        }

        return x;
    }

    private static void Standardise(float[] train, float[] test, int dim)
    {
        int n = train.Length / dim;
        var mean = new double[dim];
        var sq = new double[dim];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < dim; j++)
            {
                double v = train[(i * dim) + j];
                mean[j] += v;
                sq[j] += v * v;
            }
        }

        var m = new float[dim];
        var inv = new float[dim];
        for (int j = 0; j < dim; j++)
        {
            mean[j] /= n;
            double var = (sq[j] / n) - (mean[j] * mean[j]);
            m[j] = (float)mean[j];
            inv[j] = var > 1e-12 ? (float)(1 / Math.Sqrt(var)) : 0f;
        }

        foreach (float[] x in new[] { train, test })
        {
            for (int i = 0; i < x.Length / dim; i++)
            {
                Span<float> row = x.AsSpan(i * dim, dim);
                TensorPrimitives.Subtract(row, m, row);
                TensorPrimitives.Multiply(row, inv, row);
            }
        }
    }

    private static double TrainAndTest(float[] xTrain, byte[] yTrain, float[] xTest, byte[] yTest, int dim, int epochs)
    {
        const int classes = 10;
        int n = yTrain.Length;
        var w = new float[classes * dim];
        var b = new float[classes];
        var z = new float[classes];
        var order = Enumerable.Range(0, n).ToArray();
        var rng = new Random(1);
        long step = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            rng.Shuffle(order);
            foreach (int i in order)
            {
                float lr = 0.02f / (1f + (step++ * 4f / n)) / MathF.Sqrt(dim / 100f);
                ReadOnlySpan<float> x = xTrain.AsSpan(i * dim, dim);
                for (int c = 0; c < classes; c++)
                {
                    z[c] = TensorPrimitives.Dot(w.AsSpan(c * dim, dim), x) + b[c];
                }

                TensorPrimitives.SoftMax(z, z);
                for (int c = 0; c < classes; c++)
                {
                    float g = z[c] - (yTrain[i] == c ? 1f : 0f);
                    if (MathF.Abs(g) > 1e-4f)
                    {
                        Span<float> wc = w.AsSpan(c * dim, dim);
                        TensorPrimitives.MultiplyAdd(x, -lr * g, wc, wc);
                        b[c] -= lr * g;
                    }
                }
            }
        }

        int correct = 0;
        for (int i = 0; i < yTest.Length; i++)
        {
            ReadOnlySpan<float> x = xTest.AsSpan(i * dim, dim);
            for (int c = 0; c < classes; c++)
            {
                z[c] = TensorPrimitives.Dot(w.AsSpan(c * dim, dim), x) + b[c];
            }

            correct += TensorPrimitives.IndexOfMax(z) == yTest[i] ? 1 : 0;
        }

        return correct / (double)yTest.Length;
    }

    private static byte[] ReadLabels(string path)
    {
        using var file = File.OpenRead(path);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        byte[] bytes = ms.ToArray();
        if (BinaryPrimitives.ReadInt32BigEndian(bytes) != 0x801)
        {
            throw new InvalidDataException($"{path}: not an IDX1 label file");
        }

        return bytes.AsSpan(8).ToArray();
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
