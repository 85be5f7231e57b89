using System.Runtime.CompilerServices;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// The pixels themselves, optionally block-averaged over <see cref="BlockSize"/> x <see cref="BlockSize"/>
/// squares (e.g. 2 turns 28x28 into 14x14; a partial last row/column of blocks is dropped). Output:
/// <c>C * (H / BlockSize) * (W / BlockSize)</c>, planar, row-major.
/// </summary>
public sealed record PixelsOptions : IFeatureExtractorOptions
{
    /// <summary>Side of the averaged square (1 = raw pixels).</summary>
    public int BlockSize { get; init; } = 1;

    /// <inheritdoc/>
    public string Name => $"pixels(block={BlockSize})";

    /// <inheritdoc/>
    public int GetOutputLength(ImageShape shape)
    {
        shape.Validate();
        if (BlockSize < 1 || BlockSize > shape.Width || BlockSize > shape.Height)
        {
            throw new ArgumentException($"pixel block {BlockSize} does not fit a {shape} image");
        }

        return shape.Channels * (shape.Width / BlockSize) * (shape.Height / BlockSize);
    }

    /// <inheritdoc/>
    public IFeatureExtractor CreateExtractor(ImageShape shape) => new Pixels(this, shape);
}

/// <summary>Pixel worker (see <see cref="PixelsOptions"/>).</summary>
public sealed class Pixels : IFeatureExtractor
{
    private readonly int _block;

    internal Pixels(PixelsOptions options, ImageShape shape)
    {
        OutputLength = options.GetOutputLength(shape);
        _block = options.BlockSize;
        InputShape = shape;
        Name = options.Name;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public ImageShape InputShape { get; }

    /// <inheritdoc/>
    public int OutputLength { get; }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a per-image loop: optimised from its first call (see Hog.ComputeVotes)
    public void Extract(ReadOnlySpan<float> image, Span<float> features)
    {
        ExtractorBuffers.Check(this, image, features);

        if (_block == 1)
        {
            image.CopyTo(features);
            return;
        }

        int w = InputShape.Width, h = InputShape.Height, b = _block, ow = w / b, oh = h / b;
        float inv = 1f / (b * b);
        int o = 0;
        for (int c = 0; c < InputShape.Channels; c++)
        {
            ReadOnlySpan<float> p = image.Slice(c * InputShape.PlaneLength, InputShape.PlaneLength);
            if (b == 2)
            {
                for (int oy = 0; oy < oh; oy++)
                {
                    ReadOnlySpan<float> r0 = p.Slice(2 * oy * w, 2 * ow), r1 = p.Slice(((2 * oy) + 1) * w, 2 * ow);
                    Span<float> dst = features.Slice(o, ow);
                    for (int ox = 0; ox < dst.Length; ox++)
                    {
                        dst[ox] = ((r0[2 * ox] + r0[(2 * ox) + 1]) + (r1[2 * ox] + r1[(2 * ox) + 1])) * 0.25f;
                    }

                    o += ow;
                }

                continue;
            }

            for (int oy = 0; oy < oh; oy++)
            {
                Span<float> dst = features.Slice(o, ow);
                dst.Clear();
                for (int r = 0; r < b; r++)
                {
                    ReadOnlySpan<float> src = p.Slice(((oy * b) + r) * w, ow * b);
                    for (int ox = 0; ox < ow; ox++)
                    {
                        float s = 0f;
                        for (int k = 0; k < b; k++)
                        {
                            s += src[(ox * b) + k];
                        }

                        dst[ox] += s;
                    }
                }

                for (int ox = 0; ox < ow; ox++)
                {
                    dst[ox] *= inv;
                }

                o += ow;
            }
        }
    }
}
