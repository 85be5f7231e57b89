using System.Globalization;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// Edge density on a <see cref="GridX"/> x <see cref="GridY"/> grid: for each grid cell the fraction of pixels
/// whose gradient magnitude exceeds <see cref="Threshold"/>, then (second half of the output) the mean
/// magnitude per cell. Cell boundaries are <c>floor(i * W / GridX)</c>, so every pixel belongs to one cell.
/// Colour images use the strongest channel's gradient. Output: <c>2 * GridX * GridY</c>, row-major cells.
/// </summary>
public sealed record EdgeDensityOptions : IFeatureExtractorOptions
{
    /// <summary>Grid columns.</summary>
    public int GridX { get; init; } = 4;

    /// <summary>Grid rows.</summary>
    public int GridY { get; init; } = 4;

    /// <summary>
    /// Magnitude threshold. The default 0.5 with Sobel (a unit step gives 4) means an edge of about 1/8 of
    /// full contrast; Scharr (a unit step gives 16) needs 4 times the threshold for the same edges.
    /// </summary>
    public float Threshold { get; init; } = 0.5f;

    /// <summary>Derivative filter.</summary>
    public GradientOperator Operator { get; init; } = GradientOperator.Sobel;

    /// <inheritdoc/>
    public string Name =>
        $"edges(grid={GridX}x{GridY},threshold={Threshold.ToString(CultureInfo.InvariantCulture)},{HogOptions.OperatorName(Operator)})";

    /// <inheritdoc/>
    public int GetOutputLength(ImageShape shape)
    {
        Validate(shape);
        return 2 * GridX * GridY;
    }

    /// <inheritdoc/>
    public IFeatureExtractor CreateExtractor(ImageShape shape) => new EdgeDensity(this, shape);

    internal void Validate(ImageShape shape)
    {
        shape.Validate();
        if (GridX < 1 || GridY < 1 || GridX > shape.Width || GridY > shape.Height)
        {
            throw new ArgumentException($"edge grid {GridX}x{GridY} does not fit a {shape} image");
        }
    }
}

/// <summary>Edge-density worker (see <see cref="EdgeDensityOptions"/>).</summary>
public sealed class EdgeDensity : IFeatureExtractor
{
    private readonly EdgeDensityOptions _o;
    private readonly float[] _gx, _gy, _mag;
    private readonly int[] _xEdges, _yEdges;

    internal EdgeDensity(EdgeDensityOptions options, ImageShape shape)
    {
        OutputLength = options.GetOutputLength(shape);
        _o = options;
        InputShape = shape;
        Name = options.Name;
        _gx = new float[shape.PlaneLength];
        _gy = new float[shape.PlaneLength];
        _mag = new float[shape.PlaneLength];
        _xEdges = Edges(shape.Width, options.GridX);
        _yEdges = Edges(shape.Height, options.GridY);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public ImageShape InputShape { get; }

    /// <inheritdoc/>
    public int OutputLength { get; }

    /// <inheritdoc/>
    public void Extract(ReadOnlySpan<float> image, Span<float> features)
    {
        if (features.Length < OutputLength)
        {
            throw new ArgumentException($"features buffer holds {features.Length} floats, {OutputLength} are needed", nameof(features));
        }

        Gradients.Compute(image, InputShape, _gx, _gy, _o.Operator, GradientBorder.Replicate);
        FastMath.Magnitude(_gx, _gy, _mag);
        int w = InputShape.Width, cells = _o.GridX * _o.GridY;
        float t = _o.Threshold;
        for (int gy = 0; gy < _o.GridY; gy++)
        {
            for (int gx = 0; gx < _o.GridX; gx++)
            {
                int x0 = _xEdges[gx], x1 = _xEdges[gx + 1], y0 = _yEdges[gy], y1 = _yEdges[gy + 1];
                int count = 0;
                float sum = 0f;
                for (int y = y0; y < y1; y++)
                {
                    ReadOnlySpan<float> row = _mag.AsSpan((y * w) + x0, x1 - x0);
                    foreach (float m in row)
                    {
                        sum += m;
                        count += m > t ? 1 : 0;
                    }
                }

                float n = (x1 - x0) * (y1 - y0);
                int cell = (gy * _o.GridX) + gx;
                features[cell] = count / n;
                features[cells + cell] = sum / n;
            }
        }
    }

    /// <summary>Cell boundaries <c>floor(i * size / parts)</c>, i = 0..parts (shared by the grid extractors).</summary>
    internal static int[] Edges(int size, int parts)
    {
        var e = new int[parts + 1];
        for (int i = 0; i <= parts; i++)
        {
            e[i] = (int)((long)i * size / parts);
        }

        return e;
    }
}
