namespace ImageWorkbench.FeatureExtractors;

/// <summary>The derivative filter used for image gradients.</summary>
public enum GradientOperator
{
    /// <summary>
    /// Central difference <c>[-1, 0, 1]</c> in x and its transpose in y, unsmoothed (Dalal-Triggs' best choice
    /// for HOG; what scikit-image's <c>hog</c> uses). A unit step gives a gradient of 1.
    /// </summary>
    CentralDifference,

    /// <summary>3x3 Sobel (<see cref="Kernels.SobelX"/>, <see cref="Kernels.SobelY"/>). A unit step gives 4.</summary>
    Sobel,

    /// <summary>
    /// 3x3 Scharr (<see cref="Kernels.ScharrX"/>, <see cref="Kernels.ScharrY"/>): smoothing (3, 10, 3) across the
    /// derivative, closer to rotation invariance than Sobel's (1, 2, 1). A unit step gives 16.
    /// </summary>
    Scharr,
}

/// <summary>How gradients are formed on the outermost pixels.</summary>
public enum GradientBorder
{
    /// <summary>The image is extended by replicating edge pixels (OpenCV BORDER_REPLICATE).</summary>
    Replicate,

    /// <summary>
    /// The x gradient of the first and last columns and the y gradient of the first and last rows are 0
    /// (scikit-image's <c>_hog_channel_gradient</c>).
    /// </summary>
    ZeroGradient,
}
