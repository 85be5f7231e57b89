using System.Numerics.Tensors;

namespace FeatureExtractors;

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

    internal static string OperatorName(GradientOperator op) => op == GradientOperator.Sobel ? "sobel" : "diff";

    internal static string BorderName(GradientBorder b) => b == GradientBorder.Replicate ? "replicate" : "zeroborder";
}

/// <summary>
/// HOG worker for one input shape (see <see cref="HogOptions"/>). Not thread-safe; <see cref="Extract"/> allocates nothing.
/// </summary>
public sealed class Hog : IFeatureExtractor
{
    private const float Eps2 = 1e-10f; // (1e-5)^2 as in scikit-image
    private readonly float[] _gx, _gy, _mag, _bin, _cells;

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
        _mag = new float[plane];
        _bin = new float[plane];
        _cells = new float[CellHistogramLength];
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
        if (features.Length < OutputLength)
        {
            throw new ArgumentException($"features buffer holds {features.Length} floats, {OutputLength} are needed", nameof(features));
        }

        ComputeCells(image);
        Normalise(_cells, features);
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

        ComputeCells(image);
        _cells.CopyTo(cellHistograms);
    }

    private void ComputeCells(ReadOnlySpan<float> image)
    {
        HogOptions o = Options;
        Gradients.Compute(image, InputShape, _gx, _gy, o.Operator, o.Border);
        float range = o.Signed ? 2f * MathF.PI : MathF.PI;
        FastMath.MagnitudeAngle(_gx, _gy, _mag, _bin, o.Signed, o.Bins / range);
        Vote(_mag, _bin, _cells);
    }

    private void Vote(ReadOnlySpan<float> mag, ReadOnlySpan<float> pos, Span<float> cells)
    {
        cells.Clear();
        int bins = Options.Bins, cs = Options.CellSize, w = InputShape.Width;
        bool linear = Options.Vote == HogVote.Linear;
        for (int cy = 0; cy < CellsY; cy++)
        {
            for (int r = 0; r < cs; r++)
            {
                int rowStart = ((cy * cs) + r) * w;
                for (int cx = 0; cx < CellsX; cx++)
                {
                    Span<float> hist = cells.Slice(((cy * CellsX) + cx) * bins, bins);
                    int start = rowStart + (cx * cs);
                    ReadOnlySpan<float> m = mag.Slice(start, cs);
                    ReadOnlySpan<float> p = pos.Slice(start, cs);
                    if (linear)
                    {
                        for (int i = 0; i < m.Length; i++)
                        {
                            float q = p[i] - 0.5f;
                            if (q < 0f)
                            {
                                q += bins;
                            }

                            int b0 = (int)q;
                            if (b0 >= bins)
                            {
                                b0 = bins - 1;
                            }

                            float f = q - b0;
                            int b1 = b0 + 1 == bins ? 0 : b0 + 1;
                            float v = m[i];
                            hist[b0] += v - (v * f);
                            hist[b1] += v * f;
                        }
                    }
                    else
                    {
                        for (int i = 0; i < m.Length; i++)
                        {
                            int b = (int)p[i];
                            hist[b < bins ? b : bins - 1] += m[i];
                        }
                    }
                }
            }
        }

        TensorPrimitives.Multiply(cells, 1f / (cs * cs), cells);
    }

    private void Normalise(ReadOnlySpan<float> cells, Span<float> features)
    {
        int bins = Options.Bins, bs = Options.BlockSize, rowLen = bs * bins;
        int blockLen = bs * rowLen;
        float clip = Options.Clip;
        int o = 0;
        for (int by = 0; by < BlocksY; by++)
        {
            for (int bx = 0; bx < BlocksX; bx++)
            {
                Span<float> block = features.Slice(o, blockLen);
                for (int r = 0; r < bs; r++)
                {
                    cells.Slice((((by + r) * CellsX) + bx) * bins, rowLen).CopyTo(block.Slice(r * rowLen, rowLen));
                }

                float s = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(block) + Eps2);
                TensorPrimitives.Multiply(block, s, block);
                TensorPrimitives.Min(block, clip, block);
                s = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(block) + Eps2);
                TensorPrimitives.Multiply(block, s, block);
                o += blockLen;
            }
        }
    }
}
