namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// Well-known edge-detector kernels for cross-correlation (like ImageSharp's KnownEdgeDetectorKernels).
/// X kernels respond positively when intensity grows to the right, Y kernels when it grows downwards.
/// </summary>
public static class Kernels
{
    /// <summary>Sobel x: <c>[-1 0 1; -2 0 2; -1 0 1]</c> = column [1 2 1] times row [-1 0 1].</summary>
    public static Kernel2D SobelX { get; } = Kernel2D.Separable([-1f, 0f, 1f], [1f, 2f, 1f]);

    /// <summary>Sobel y: the transpose of <see cref="SobelX"/>.</summary>
    public static Kernel2D SobelY { get; } = Kernel2D.Separable([1f, 2f, 1f], [-1f, 0f, 1f]);

    /// <summary>Scharr x: <c>[-3 0 3; -10 0 10; -3 0 3]</c>.</summary>
    public static Kernel2D ScharrX { get; } = Kernel2D.Separable([-1f, 0f, 1f], [3f, 10f, 3f]);

    /// <summary>Scharr y: the transpose of <see cref="ScharrX"/>.</summary>
    public static Kernel2D ScharrY { get; } = Kernel2D.Separable([3f, 10f, 3f], [-1f, 0f, 1f]);

    /// <summary>Prewitt x: <c>[-1 0 1; -1 0 1; -1 0 1]</c>.</summary>
    public static Kernel2D PrewittX { get; } = Kernel2D.Separable([-1f, 0f, 1f], [1f, 1f, 1f]);

    /// <summary>Prewitt y: the transpose of <see cref="PrewittX"/>.</summary>
    public static Kernel2D PrewittY { get; } = Kernel2D.Separable([1f, 1f, 1f], [-1f, 0f, 1f]);

    /// <summary>4-neighbour Laplacian <c>[0 1 0; 1 -4 1; 0 1 0]</c> (not separable).</summary>
    public static Kernel2D Laplacian { get; } = new(3, 3, [0f, 1f, 0f, 1f, -4f, 1f, 0f, 1f, 0f]);

    /// <summary>8-neighbour Laplacian <c>[1 1 1; 1 -8 1; 1 1 1]</c>.</summary>
    public static Kernel2D Laplacian8 { get; } = new(3, 3, [1f, 1f, 1f, 1f, -8f, 1f, 1f, 1f, 1f]);

    /// <summary>Central difference x <c>[-1 0 1]</c> (1 row), as scikit-image's HOG uses.</summary>
    public static Kernel2D CentralDifferenceX { get; } = Kernel2D.Separable([-1f, 0f, 1f], [1f]);

    /// <summary>Central difference y (3 rows).</summary>
    public static Kernel2D CentralDifferenceY { get; } = Kernel2D.Separable([1f], [-1f, 0f, 1f]);
}
