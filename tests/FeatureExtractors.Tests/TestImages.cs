namespace ImageWorkbench.FeatureExtractors.Tests;

/// <summary>Deterministic test images; the same recipes live in tools/gen_skimage_hog.py.</summary>
internal static class TestImages
{
    /// <summary>LCG x = (1103515245 x + 12345) mod 2^31, value (x &gt;&gt; 8) / 2^23, planar order.</summary>
    public static float[] Lcg(int seed, int w, int h, int c = 1)
    {
        var a = new float[w * h * c];
        long x = seed;
        for (int i = 0; i < a.Length; i++)
        {
            x = ((1103515245L * x) + 12345L) % (1L << 31);
            a[i] = (x >> 8) / (float)(1 << 23);
        }

        return a;
    }

    public static float[] Ramp(int w, int h)
    {
        var a = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                a[(y * w) + x] = (float)((x + (2 * y)) / 96.0);
            }
        }

        return a;
    }

    public static float[] Disk(int w, int h)
    {
        var a = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int dx = (2 * x) - (w - 1), dy = (2 * y) - (h - 1);
                a[(y * w) + x] = (dx * dx) + (dy * dy) <= 4 * 8 * 8 ? 1f : 0f;
            }
        }

        return a;
    }

    public static float[] Checker(int w, int h, int s)
    {
        var a = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                a[(y * w) + x] = ((x / s) + (y / s)) % 2;
            }
        }

        return a;
    }

    public static float[] Get(string name, int w, int h, int c) => name switch
    {
        "Ramp28" => Ramp(w, h),
        "Disk28" => Disk(w, h),
        "Checker32" => Checker(w, h, 4),
        "Random28" => Lcg(12345, w, h),
        "Random32Cell8Block3" => Lcg(777, w, h),
        "Random30x26" => Lcg(2024, w, h),
        "RandomRgb32" => Lcg(99, w, h, c),
        "SmoothRgb30x26" => SmoothRgb(w, h),
        _ => throw new ArgumentException(name),
    };

    /// <summary>Red-green ramp across, blue ramp down, a bright disk; quantised to 1/255 (gen_skimage_colour.py's smooth).</summary>
    public static float[] SmoothRgb(int w, int h)
    {
        int plane = w * h;
        var a = new float[3 * plane];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                float r = x / (float)(w - 1), g = 1f - (x / (float)(w - 1)), b = y / (float)(h - 1);
                float dx = (2 * x) - (w - 1), dy = (2 * y) - (h - 1);
                float d = (dx * dx) + (dy * dy) <= 4 * 6 * 6 ? 1f : 0f;
                int i = (y * w) + x;
                a[i] = Quantise((r * 0.8f) + (0.2f * d));
                a[plane + i] = Quantise((g * 0.8f) + (0.2f * d));
                a[(2 * plane) + i] = Quantise((b * 0.5f) + (0.5f * d));
            }
        }

        return a;
    }

    private static float Quantise(float v) => MathF.Round(v * 255f) / 255f;

    /// <summary>
    /// A made-up 8-bit photo from integer arithmetic only (no libm, so the same on every machine): a blue sky band, a
    /// textured green middle, striped brown ground and a red disk; plus <paramref name="grey"/>: the red plane copied
    /// into all three (hue 0 everywhere, grey-level moments).
    /// </summary>
    public static float[] Scene(int w, int h, bool grey = false)
    {
        int plane = w * h;
        var a = new float[3 * plane];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int r, g, b;
                if (3 * y < h)
                {
                    (r, g, b) = (90 + (x / 2), 140 + y, 230 - (2 * y));
                }
                else if (3 * y < 2 * h)
                {
                    (r, g, b) = (30 + (((x * x) + y) % 40), 60 + (((7 * x) + (13 * y)) % 50), 20 + ((x * y) % 9));
                }
                else
                {
                    (r, g, b) = (120 + (20 * (((x / 4) + (y / 3)) % 2)), 80 + (x % 5), 40);
                }

                int dx = x - (2 * w / 3), dy = y - (h / 2);
                if ((dx * dx) + (dy * dy) <= 64)
                {
                    (r, g, b) = (220, 30 + (dx * dx), 25);
                }

                int i = (y * w) + x;
                a[i] = r / 255f;
                a[plane + i] = (grey ? r : g) / 255f;
                a[(2 * plane) + i] = (grey ? r : b) / 255f;
            }
        }

        return a;
    }

    /// <summary>The 64x64 colour images whose rgb64 preset vectors are pinned (PinnedRgb64Expected), by name.</summary>
    public static float[] Pinned(string name) => name switch
    {
        "Scene64" => Scene(64, 64),
        "GreyScene64" => Scene(64, 64, grey: true),
        "SmoothRgb64" => SmoothRgb(64, 64),
        "RandomRgb64" => Lcg(99, 64, 64, 3),
        _ => throw new ArgumentException(name),
    };

    /// <summary>The names <see cref="Pinned"/> knows.</summary>
    public static string[] PinnedNames { get; } = ["Scene64", "GreyScene64", "SmoothRgb64", "RandomRgb64"];

    public static float[] Random(int seed, int n)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = (float)rng.NextDouble();
        }

        return a;
    }
}

internal sealed record HogReference(string Name, int Width, int Height, int Channels, int Cell, int Block, int Length,
    double Sum, double SumOfSquares, double Checksum, (int Index, float Value)[] Entries)
{
    public override string ToString() => Name;
}

internal sealed record ColourReference(string Name, int Width, int Height, float[] LabMoments124, float[] HsvMoments124, float[] RgbMoments13, float[] HsvHistogram833)
{
    public override string ToString() => Name;
}

internal sealed record LbpReference(string Name, int Width, int Height, int Channels, int Points, float Radius, string Codes)
{
    public override string ToString() => $"{Name} P={Points} R={Radius}";
}
