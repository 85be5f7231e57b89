namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// Dimensions of a planar image buffer: <see cref="Channels"/> planes of <see cref="Height"/> rows of
/// <see cref="Width"/> floats, values 0..1. Grey = 1 channel, RGB = 3 (R, G, B plane order).
/// </summary>
public readonly record struct ImageShape(int Width, int Height, int Channels)
{
    /// <summary>Pixels in one plane.</summary>
    public int PlaneLength => Width * Height;

    /// <summary>Floats in the whole planar buffer.</summary>
    public int Length => Width * Height * Channels;

    /// <summary>Throws unless every dimension is positive and channels are 1 or 3.</summary>
    public void Validate()
    {
        if (Width <= 0 || Height <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Width), $"image size must be positive, got {Width}x{Height}");
        }

        if (Channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(Channels), $"channels must be 1 or 3, got {Channels}");
        }
    }

    public override string ToString() => $"{Width}x{Height}x{Channels}";
}
