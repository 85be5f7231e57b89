using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>How a pixel's gradient magnitude is shared between orientation bins.</summary>
public enum HogVote
{
    /// <summary>
    /// Split between the two nearest bin centres (bin i's centre is <c>(i + 0.5) * range / bins</c>) in
    /// proportion to closeness, wrapping around the circle (Dalal-Triggs orientation interpolation).
    /// </summary>
    Linear,

    /// <summary>All of it to the bin containing the angle, bin i covering <c>[i, i + 1) * range / bins</c> (scikit-image).</summary>
    Nearest,
}

/// <summary>
/// Histogram of Oriented Gradients options. Cells are <see cref="CellSize"/> x <see cref="CellSize"/> pixels
/// tiling the image from the top-left (pixels beyond the last whole cell are ignored, as in scikit-image);
/// each cell histogram holds the mean vote per pixel; blocks of <see cref="BlockSize"/> x <see cref="BlockSize"/>
/// cells move by one cell and are normalised with L2-Hys (L2, clip at <see cref="Clip"/>, L2 again, eps = 1e-5).
/// Output order: block row, block column, cell row in block, cell column in block, bin (scikit-image's
/// <c>feature_vector=True</c> order).
/// </summary>
public sealed record HogOptions : IFeatureExtractorOptions
{
    /// <summary>Cell side in pixels.</summary>
    public int CellSize { get; init; } = 8;

    /// <summary>Block side in cells.</summary>
    public int BlockSize { get; init; } = 2;

    /// <summary>Orientation bins.</summary>
    public int Bins { get; init; } = 9;

    /// <summary>Signed orientations cover 0..360 degrees, unsigned 0..180 (a direction equals its opposite).</summary>
    public bool Signed { get; init; }

    /// <summary>Derivative filter.</summary>
    public GradientOperator Operator { get; init; } = GradientOperator.CentralDifference;

    /// <summary>Gradient on the outermost pixels.</summary>
    public GradientBorder Border { get; init; } = GradientBorder.Replicate;

    /// <summary>Orientation voting.</summary>
    public HogVote Vote { get; init; } = HogVote.Linear;

    /// <summary>L2-Hys clipping value.</summary>
    public float Clip { get; init; } = 0.2f;

    /// <summary>Options that reproduce <c>skimage.feature.hog(..., block_norm='L2-Hys')</c> (0.19).</summary>
    public static HogOptions ScikitImage(int cellSize, int blockSize, int bins = 9) => new()
    {
        CellSize = cellSize,
        BlockSize = blockSize,
        Bins = bins,
        Signed = false,
        Operator = GradientOperator.CentralDifference,
        Border = GradientBorder.ZeroGradient,
        Vote = HogVote.Nearest,
    };

    /// <inheritdoc/>
    public string Name =>
        $"hog(cell={CellSize},block={BlockSize},bins={Bins},{(Signed ? "signed" : "unsigned")},{OperatorName(Operator)},{BorderName(Border)},vote={(Vote == HogVote.Linear ? "linear" : "nearest")},l2hys={Clip.ToString(System.Globalization.CultureInfo.InvariantCulture)})";

    /// <summary>Cells across and down for <paramref name="shape"/>.</summary>
    public (int X, int Y) GetCellCount(ImageShape shape) => (shape.Width / CellSize, shape.Height / CellSize);

    /// <summary>Blocks across and down for <paramref name="shape"/>.</summary>
    public (int X, int Y) GetBlockCount(ImageShape shape)
    {
        Validate(shape);
        var (cx, cy) = GetCellCount(shape);
        return (cx - BlockSize + 1, cy - BlockSize + 1);
    }

    /// <inheritdoc/>
    public int GetOutputLength(ImageShape shape)
    {
        var (bx, by) = GetBlockCount(shape);
        return bx * by * BlockSize * BlockSize * Bins;
    }

    /// <summary>Creates a HOG worker for images of <paramref name="shape"/>.</summary>
    public Hog CreateHog(ImageShape shape) => new(this, shape);

    IFeatureExtractor IFeatureExtractorOptions.CreateExtractor(ImageShape shape) => CreateHog(shape);

    /// <summary>Throws <see cref="ArgumentException"/> unless the options are usable for <paramref name="shape"/>.</summary>
    public void Validate(ImageShape shape)
    {
        shape.Validate();
        if (CellSize < 1 || BlockSize < 1 || Bins < 2)
        {
            throw new ArgumentException($"HOG needs CellSize >= 1, BlockSize >= 1, Bins >= 2; got {CellSize}, {BlockSize}, {Bins}");
        }

        if (!(Clip > 0f))
        {
            throw new ArgumentException($"HOG clip must be positive, got {Clip}");
        }

        var (cx, cy) = GetCellCount(shape);
        if (cx < BlockSize || cy < BlockSize)
        {
            throw new ArgumentException(
                $"a {shape} image has {cx}x{cy} cells of {CellSize} px, fewer than one {BlockSize}x{BlockSize}-cell block");
        }
    }

    internal static string OperatorName(GradientOperator op) => op switch
    {
        GradientOperator.Sobel => "sobel",
        GradientOperator.Scharr => "scharr",
        _ => "diff",
    };

    internal static string BorderName(GradientBorder b) => b == GradientBorder.Replicate ? "replicate" : "zeroborder";
}

/// <summary>
/// HOG worker for one input shape (see <see cref="HogOptions"/>). Not thread-safe; <see cref="Extract"/> allocates nothing.
/// </summary>
public sealed class Hog : IFeatureExtractor
{
    private const float Eps2 = 1e-10f; // (1e-5)^2 as in scikit-image
    private const int Copies = 4; // interleaved partial histograms: neighbouring pixels never update the same float
    private readonly float[] _gx, _gy, _w0, _w1, _cells, _partial, _cellSq;
    private readonly int[] _b0, _base, _i0, _i1;
    private readonly float _angleScale;

    internal Hog(HogOptions options, ImageShape shape)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(shape);
        Options = options;
        InputShape = shape;
        (CellsX, CellsY) = options.GetCellCount(shape);
        (BlocksX, BlocksY) = options.GetBlockCount(shape);
        OutputLength = options.GetOutputLength(shape);
        Name = options.Name;
        int plane = shape.PlaneLength;
        _gx = new float[plane];
        _gy = new float[plane];
        _w0 = _gx; // the weights overwrite the gradients once they are used
        _w1 = _gy;
        _b0 = new int[plane];
        _cells = new float[CellHistogramLength];
        _cellSq = new float[CellsX * CellsY];
        // partial histograms: Copies interleaved copies, then a dummy slot for pixels outside whole cells
        int len = CellHistogramLength;
        _partial = new float[(Copies * len) + options.Bins];
        _base = new int[plane];
        _i0 = new int[plane];
        _i1 = new int[plane];
        int cs = options.CellSize;
        for (int y = 0; y < shape.Height; y++)
        {
            for (int x = 0; x < shape.Width; x++)
            {
                bool inside = x < CellsX * cs && y < CellsY * cs;
                _base[(y * shape.Width) + x] = inside
                    ? ((((y / cs) * CellsX) + (x / cs)) * options.Bins) + ((x % Copies) * len)
                    : Copies * len;
            }
        }

        _angleScale = options.Bins / (options.Signed ? 2f * MathF.PI : MathF.PI);
    }

    /// <summary>The options this worker was made from.</summary>
    public HogOptions Options { get; }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public ImageShape InputShape { get; }

    /// <inheritdoc/>
    public int OutputLength { get; }

    /// <summary>Cells across.</summary>
    public int CellsX { get; }

    /// <summary>Cells down.</summary>
    public int CellsY { get; }

    /// <summary>Blocks across.</summary>
    public int BlocksX { get; }

    /// <summary>Blocks down.</summary>
    public int BlocksY { get; }

    /// <summary>Length of the per-cell histogram buffer: CellsY * CellsX * Bins.</summary>
    public int CellHistogramLength => CellsX * CellsY * Options.Bins;

    /// <inheritdoc/>
    public void Extract(ReadOnlySpan<float> image, Span<float> features)
    {
        CheckFeatures(features);
        ComputeVotes(image);
        Vote(this);
        Normalise(features);
    }

    /// <summary>
    /// Writes the un-normalised per-cell histograms (mean vote per pixel), layout [cell row][cell column][bin],
    /// <see cref="CellHistogramLength"/> floats; for drawing glyphs with <see cref="HogGlyph"/>.
    /// </summary>
    public void ComputeCellHistograms(ReadOnlySpan<float> image, Span<float> cellHistograms)
    {
        if (cellHistograms.Length < CellHistogramLength)
        {
            throw new ArgumentException($"cell buffer holds {cellHistograms.Length} floats, {CellHistogramLength} are needed", nameof(cellHistograms));
        }

        ComputeVotes(image);
        Vote(this);
        _cells.CopyTo(cellHistograms);
    }

    /// <summary>True when <paramref name="other"/>'s per-pixel votes are valid for this worker too.</summary>
    internal bool CanShareVotesWith(Hog other) =>
        other.InputShape == InputShape && other.Options.Operator == Options.Operator && other.Options.Border == Options.Border
        && other.Options.Signed == Options.Signed && other.Options.Bins == Options.Bins && other.Options.Vote == Options.Vote;

    /// <summary>Extract using the per-pixel votes <paramref name="donor"/> computed in its last call (same image).</summary>
    internal void ExtractSharing(Hog donor, Span<float> features)
    {
        CheckFeatures(features);
        Vote(donor);
        Normalise(features);
    }

    private void CheckFeatures(Span<float> features)
    {
        if (features.Length < OutputLength)
        {
            throw new ArgumentException($"features buffer holds {features.Length} floats, {OutputLength} are needed", nameof(features));
        }
    }

    /// <summary>Per pixel: first bin, its weight, and the next bin's weight (vectorised).</summary>
    /// <remarks>
    /// AggressiveOptimization here and on the other per-image loops of the hand-crafted features (HOG, gradients,
    /// pixels, histograms, the decoder's block reducer): compiled optimised on first use instead of running as
    /// unoptimised tier-0 code until the tiered JIT promotes it. A ReadyToRun publish cannot precompile them either
    /// (their Vector256/Vector512 paths depend on the machine). <c>predict --out</c> over 10,000 Fashion-MNIST PNG
    /// files spent its first ~0.5 s (most of the run) at tier 0 in these methods; measured in README, "Faster start".
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeVotes(ReadOnlySpan<float> image)
    {
        HogOptions o = Options;
        Gradients.Compute(image, InputShape, _gx, _gy, o.Operator, o.Border);
        int n = InputShape.PlaneLength, bins = o.Bins, i = 0;
        bool signed = o.Signed, linear = o.Vote == HogVote.Linear;
        float scale = _angleScale;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float rx = ref MemoryMarshal.GetArrayDataReference(_gx);
            ref float ry = ref MemoryMarshal.GetArrayDataReference(_gy);
            ref int rb = ref MemoryMarshal.GetArrayDataReference(_b0);
            Vector256<float> vScale = Vector256.Create(scale), half = Vector256.Create(0.5f), vBins = Vector256.Create((float)bins);
            Vector256<int> maxBin = Vector256.Create(bins - 1);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> x = Vector256.LoadUnsafe(ref rx, (nuint)i), y = Vector256.LoadUnsafe(ref ry, (nuint)i);
                Vector256<float> mag = Vector256.Sqrt((x * x) + (y * y));
                Vector256<float> q = FastMath.Angle(x, y, signed) * vScale;
                if (linear)
                {
                    q -= half;
                    q = Vector256.ConditionalSelect(Vector256.LessThan(q, Vector256<float>.Zero), q + vBins, q);
                }

                // clamp both ways: a NaN angle (NaN or infinite pixels) must not become an out-of-range index
                Vector256<int> b = Vector256.Max(Vector256.Min(Vector256.ConvertToInt32(q), maxBin), Vector256<int>.Zero);
                b.StoreUnsafe(ref rb, (nuint)i);
                if (linear)
                {
                    Vector256<float> w1 = mag * (q - Vector256.ConvertToSingle(b));
                    (mag - w1).StoreUnsafe(ref rx, (nuint)i);
                    w1.StoreUnsafe(ref ry, (nuint)i);
                }
                else
                {
                    mag.StoreUnsafe(ref rx, (nuint)i);
                    Vector256<float>.Zero.StoreUnsafe(ref ry, (nuint)i);
                }
            }
        }

        for (; i < n; i++)
        {
            float x = _gx[i], y = _gy[i];
            float mag = MathF.Sqrt((x * x) + (y * y));
            float q = FastMath.Angle(x, y, signed) * scale;
            if (linear)
            {
                q -= 0.5f;
                if (q < 0f)
                {
                    q += bins;
                }
            }

            int b = Math.Clamp((int)q, 0, bins - 1);
            _b0[i] = b;
            float w1 = linear ? mag * (q - b) : 0f;
            _w0[i] = mag - w1;
            _w1[i] = w1;
        }
    }

    /// <summary>
    /// Adds every pixel's weights into its cell's histogram. A vector pass turns (pixel, bin) into flat indices
    /// of <c>_partial</c> (interleaved copies, so neighbouring pixels never update the same float and no
    /// store-to-load chains form); the scatter itself is a plain two-line scalar loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Vote(Hog source)
    {
        int n = InputShape.PlaneLength, bins = Options.Bins, i = 0;
        bool linear = Options.Vote == HogVote.Linear;
        ref int b0 = ref MemoryMarshal.GetArrayDataReference(source._b0);
        ref int baseRef = ref MemoryMarshal.GetArrayDataReference(_base);
        ref int i0 = ref MemoryMarshal.GetArrayDataReference(_i0);
        ref int i1 = ref MemoryMarshal.GetArrayDataReference(_i1);
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<int> vBins = Vector256.Create(bins), one = Vector256<int>.One;
            for (; i <= n - 8; i += 8)
            {
                Vector256<int> b = Vector256.LoadUnsafe(ref b0, (nuint)i);
                Vector256<int> o = Vector256.LoadUnsafe(ref baseRef, (nuint)i);
                (o + b).StoreUnsafe(ref i0, (nuint)i);
                Vector256<int> bn = b + one;
                bn = Vector256.AndNot(bn, Vector256.Equals(bn, vBins)); // bins -> 0
                (o + bn).StoreUnsafe(ref i1, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            int b = Unsafe.Add(ref b0, i), o = Unsafe.Add(ref baseRef, i);
            Unsafe.Add(ref i0, i) = o + b;
            Unsafe.Add(ref i1, i) = o + (b + 1 == bins ? 0 : b + 1);
        }

        Span<float> partial = _partial;
        partial.Clear();
        // every index is inside _partial by construction (bins < Bins, base offsets built in the constructor)
        ref float p = ref MemoryMarshal.GetArrayDataReference(_partial);
        ref float w0 = ref MemoryMarshal.GetArrayDataReference(source._w0);
        ref float w1 = ref MemoryMarshal.GetArrayDataReference(source._w1);
        if (linear)
        {
            for (i = 0; i < n; i++)
            {
                Unsafe.Add(ref p, Unsafe.Add(ref i0, i)) += Unsafe.Add(ref w0, i);
                Unsafe.Add(ref p, Unsafe.Add(ref i1, i)) += Unsafe.Add(ref w1, i);
            }
        }
        else
        {
            for (i = 0; i < n; i++)
            {
                Unsafe.Add(ref p, Unsafe.Add(ref i0, i)) += Unsafe.Add(ref w0, i);
            }
        }

        // cells = (((p0 + p1) + p2) + p3) * inv over the four copies, in one pass (the same sums in the same order as
        // four TensorPrimitives calls gave, so the same bits; those ran as unoptimised tier-0 code in a short run)
        int len = CellHistogramLength, k = 0;
        float inv = 1f / (Options.CellSize * Options.CellSize);
        _ = _cells.AsSpan(0, len); // bounds: the loops below write cells[0 .. len)
        ref float c = ref MemoryMarshal.GetArrayDataReference(_cells);
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> vInv = Vector256.Create(inv);
            for (; k <= len - Vector256<float>.Count; k += Vector256<float>.Count)
            {
                Vector256<float> sum = Vector256.LoadUnsafe(ref p, (nuint)k) + Vector256.LoadUnsafe(ref p, (nuint)(k + len));
                sum = (sum + Vector256.LoadUnsafe(ref p, (nuint)(k + (2 * len)))) + Vector256.LoadUnsafe(ref p, (nuint)(k + (3 * len)));
                (sum * vInv).StoreUnsafe(ref c, (nuint)k);
            }
        }

        for (; k < len; k++)
        {
            float sum = (((Unsafe.Add(ref p, k) + Unsafe.Add(ref p, k + len)) + Unsafe.Add(ref p, k + (2 * len))) + Unsafe.Add(ref p, k + (3 * len)));
            Unsafe.Add(ref c, k) = sum * inv;
        }
    }

    /// <summary>
    /// L2-Hys per block, fused: the first norm comes from per-cell sums of squares; then one pass gathers,
    /// scales, clips and sums squares straight into the output, and a last pass rescales.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Normalise(Span<float> features)
    {
        int bins = Options.Bins, bs = Options.BlockSize, rowLen = bs * bins, blockLen = bs * rowLen;
        int cellCount = CellsX * CellsY;
        Span<float> cellSq = _cellSq;
        for (int c = 0; c < cellCount; c++)
        {
            cellSq[c] = SumOfSquares(_cells.AsSpan(c * bins, bins));
        }

        float clip = Options.Clip;
        ref float cells = ref MemoryMarshal.GetArrayDataReference(_cells);
        ref float sq = ref MemoryMarshal.GetArrayDataReference(_cellSq);
        ref float dst0 = ref MemoryMarshal.GetReference(features);
        int o = 0;
        for (int by = 0; by < BlocksY; by++)
        {
            for (int bx = 0; bx < BlocksX; bx++)
            {
                float sum = 0f;
                for (int r = 0; r < bs; r++)
                {
                    ref float rowSq = ref Unsafe.Add(ref sq, ((by + r) * CellsX) + bx);
                    for (int c = 0; c < bs; c++)
                    {
                        sum += Unsafe.Add(ref rowSq, c);
                    }
                }

                float s1 = 1f / MathF.Sqrt(sum + Eps2);
                float sum2 = 0f;
                ref float dst = ref Unsafe.Add(ref dst0, o);
                for (int r = 0; r < bs; r++)
                {
                    sum2 += ScaleClipCopy(ref Unsafe.Add(ref cells, (((by + r) * CellsX) + bx) * bins), ref Unsafe.Add(ref dst, r * rowLen), rowLen, s1, clip);
                }

                Scale(ref dst, blockLen, 1f / MathF.Sqrt(sum2 + Eps2));
                o += blockLen;
            }
        }
    }

    /// <summary>dst = min(src * scale, clip); returns the sum of squares of dst.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ScaleClipCopy(ref float src, ref float dst, int n, float scale, float clip)
    {
        int i = 0;
        float sum = 0f;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> vs = Vector256.Create(scale), vc = Vector256.Create(clip), acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> v = Vector256.Min(Vector256.LoadUnsafe(ref src, (nuint)i) * vs, vc);
                v.StoreUnsafe(ref dst, (nuint)i);
                acc += v * v;
            }

            sum = Vector256.Sum(acc);
        }

        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref src, i) * scale;
            v = v < clip ? v : clip;
            Unsafe.Add(ref dst, i) = v;
            sum += v * v;
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scale(ref float v, int n, float scale)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> vs = Vector256.Create(scale);
            for (; i <= n - 8; i += 8)
            {
                (Vector256.LoadUnsafe(ref v, (nuint)i) * vs).StoreUnsafe(ref v, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref v, i) *= scale;
        }
    }

    /// <summary>v /= sqrt(|v|^2 + eps^2); v = min(v, clip); v /= sqrt(|v|^2 + eps^2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void L2Hys(Span<float> v, float clip)
    {
        float s = 1f / MathF.Sqrt(SumOfSquares(v) + Eps2);
        ScaleMin(v, s, clip);
        s = 1f / MathF.Sqrt(SumOfSquares(v) + Eps2);
        ScaleMin(v, s, float.PositiveInfinity);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleMin(Span<float> v, float scale, float clip)
    {
        int n = v.Length, i = 0;
        ref float r = ref MemoryMarshal.GetReference(v);
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> vs = Vector256.Create(scale), vc = Vector256.Create(clip);
            for (; i <= n - 8; i += 8)
            {
                Vector256.Min(Vector256.LoadUnsafe(ref r, (nuint)i) * vs, vc).StoreUnsafe(ref r, (nuint)i);
            }
        }

        if (Vector128.IsHardwareAccelerated && i <= n - 4)
        {
            Vector128.Min(Vector128.LoadUnsafe(ref r, (nuint)i) * Vector128.Create(scale), Vector128.Create(clip)).StoreUnsafe(ref r, (nuint)i);
            i += 4;
        }

        for (; i < n; i++)
        {
            float x = Unsafe.Add(ref r, i) * scale;
            Unsafe.Add(ref r, i) = x < clip ? x : clip;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float SumOfSquares(ReadOnlySpan<float> v)
    {
        int n = v.Length, i = 0;
        ref float r = ref MemoryMarshal.GetReference(v);
        float sum = 0f;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> x = Vector256.LoadUnsafe(ref r, (nuint)i);
                acc += x * x;
            }

            Vector128<float> a = acc.GetLower() + acc.GetUpper();
            if (i <= n - 4)
            {
                Vector128<float> x = Vector128.LoadUnsafe(ref r, (nuint)i);
                a += x * x;
                i += 4;
            }

            sum = Vector128.Sum(a);
        }

        for (; i < n; i++)
        {
            float x = Unsafe.Add(ref r, i);
            sum += x * x;
        }

        return sum;
    }
}
