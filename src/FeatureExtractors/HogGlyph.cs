namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// Draws per-cell HOG histograms (from <see cref="Hog.ComputeCellHistograms"/>) as the classic glyph picture:
/// in each cell, one line per bin through the cell centre, perpendicular to the bin's gradient direction
/// (so it runs along the edge), with brightness proportional to the bin value (the largest bin in the
/// image is 1). Output is one grey plane, values 0..1; PNG encoding happens elsewhere.
/// </summary>
public static class HogGlyph
{
    /// <summary>Picture size: each input pixel becomes <paramref name="scale"/> x <paramref name="scale"/> output pixels.</summary>
    public static (int Width, int Height) GetOutputSize(int cellsX, int cellsY, int cellSize, int scale)
    {
        if (cellsX < 1 || cellsY < 1 || cellSize < 1 || scale < 1)
        {
            throw new ArgumentException($"glyph needs positive cells, cell size and scale; got {cellsX}x{cellsY}, {cellSize}, {scale}");
        }

        return (cellsX * cellSize * scale, cellsY * cellSize * scale);
    }

    /// <summary>Renders the glyphs of a <see cref="Hog"/> worker's cell histograms.</summary>
    public static void Render(Hog hog, ReadOnlySpan<float> cellHistograms, int scale, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(hog);
        Render(cellHistograms, hog.CellsX, hog.CellsY, hog.Options.Bins, hog.Options.Signed, hog.Options.CellSize, scale, output);
    }

    /// <summary>
    /// Renders glyphs for histograms laid out [cell row][cell column][bin] into <paramref name="output"/>
    /// (<see cref="GetOutputSize"/>, row-major). Lines are drawn with maximum blending, anti-aliased by
    /// sampling every half output pixel.
    /// </summary>
    public static void Render(ReadOnlySpan<float> cellHistograms, int cellsX, int cellsY, int bins, bool signed, int cellSize, int scale, Span<float> output)
    {
        var (w, h) = GetOutputSize(cellsX, cellsY, cellSize, scale);
        if (bins < 1 || cellHistograms.Length < cellsX * cellsY * bins)
        {
            throw new ArgumentException($"need {cellsX * cellsY * bins} histogram values, got {cellHistograms.Length}", nameof(cellHistograms));
        }

        if (output.Length < w * h)
        {
            throw new ArgumentException($"output holds {output.Length} floats, {w * h} are needed", nameof(output));
        }

        output[..(w * h)].Clear();
        float max = 0f;
        foreach (float v in cellHistograms[..(cellsX * cellsY * bins)])
        {
            max = MathF.Max(max, v);
        }

        if (!(max > 0f))
        {
            return;
        }

        float side = cellSize * scale;
        float half = 0.45f * side; // half line length
        float range = signed ? 2f * MathF.PI : MathF.PI;
        int steps = Math.Max(2, (int)MathF.Ceiling(4f * half));
        for (int b = 0; b < bins; b++)
        {
            float theta = (b + 0.5f) * range / bins;   // gradient direction (y down)
            float dx = -MathF.Sin(theta), dy = MathF.Cos(theta); // perpendicular: along the edge
            for (int cy = 0; cy < cellsY; cy++)
            {
                for (int cx = 0; cx < cellsX; cx++)
                {
                    float v = cellHistograms[(((cy * cellsX) + cx) * bins) + b] / max;
                    if (!(v > 0f))
                    {
                        continue;
                    }

                    float ox = (cx + 0.5f) * side, oy = (cy + 0.5f) * side;
                    for (int s = -steps; s <= steps; s++)
                    {
                        float t = half * s / steps;
                        int px = (int)MathF.Floor(ox + (t * dx)), py = (int)MathF.Floor(oy + (t * dy));
                        if ((uint)px < (uint)w && (uint)py < (uint)h)
                        {
                            ref float dst = ref output[(py * w) + px];
                            dst = MathF.Max(dst, v);
                        }
                    }
                }
            }
        }
    }
}

/// <summary>Pictures of gradients for inspection: gx, gy mapped around 0.5, magnitude normalised to 0..1.</summary>
public static class GradientImages
{
    /// <summary>
    /// Writes three planes of <c>shape.PlaneLength</c> floats: <c>0.5 + 0.5 * gx / s</c>, <c>0.5 + 0.5 * gy / s</c>
    /// with s the largest |gx| or |gy| (so both share one scale and 0.5 means flat), and magnitude / max magnitude.
    /// A flat image gives 0.5, 0.5, 0.
    /// </summary>
    public static void Render(ReadOnlySpan<float> image, ImageShape shape, Span<float> gxImage, Span<float> gyImage, Span<float> magnitudeImage,
        GradientOperator op = GradientOperator.Sobel)
    {
        shape.Validate();
        int n = shape.PlaneLength;
        if (gxImage.Length < n || gyImage.Length < n || magnitudeImage.Length < n)
        {
            throw new ArgumentException($"each output plane needs {n} floats");
        }

        Gradients.Compute(image, shape, gxImage, gyImage, op, GradientBorder.Replicate);
        FastMath.Magnitude(gxImage, gyImage, magnitudeImage);
        float s = MathF.Max(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(gxImage[..n]), System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(gyImage[..n]));
        float m = System.Numerics.Tensors.TensorPrimitives.Max(magnitudeImage[..n]);
        float ks = s > 0f ? 0.5f / s : 0f, km = m > 0f ? 1f / m : 0f;
        for (int i = 0; i < n; i++)
        {
            gxImage[i] = 0.5f + (gxImage[i] * ks);
            gyImage[i] = 0.5f + (gyImage[i] * ks);
            magnitudeImage[i] *= km;
        }
    }
}
