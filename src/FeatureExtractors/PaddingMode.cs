namespace ImageWorkbench.FeatureExtractors;

/// <summary>How pixels outside the image are invented when a filter needs them ("same"-size output).</summary>
public enum PaddingMode
{
    /// <summary>Outside pixels are 0.</summary>
    Zero,

    /// <summary>The nearest edge pixel is repeated: <c>a a | a b c d | d d</c> (OpenCV BORDER_REPLICATE).</summary>
    Replicate,

    /// <summary>
    /// Mirror about the edge pixel, which is not repeated: <c>c b | a b c d | c b</c>
    /// (numpy <c>reflect</c>, OpenCV BORDER_REFLECT_101). A one-pixel image replicates.
    /// </summary>
    Reflect,
}
