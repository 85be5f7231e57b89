namespace ImageWorkbench.FeatureExtractors.Tests;

/// <summary>
/// grey28-v1 against the OpenCV + numpy implementation <c>pipeline bench</c> races (benchmarks/opencv/grey28_features.py,
/// vectors stored by tools/gen_opencv_grey28.py): the speed comparison is between two computations of the same features.
/// </summary>
public class OpenCvReferenceTests
{
    public static TheoryData<int> Cases()
    {
        var d = new TheoryData<int>();
        for (int i = 0; i < OpenCvGrey28Expected.Cases.Length; i++)
        {
            d.Add(i);
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Grey28_v1_matches_the_opencv_numpy_reference(int index)
    {
        var (name, expected) = OpenCvGrey28Expected.Cases[index];
        IFeatureExtractor extractor = FeatureSetPresets.Grey28V1.CreateExtractor();
        var actual = new float[extractor.OutputLength];
        extractor.Extract(TestImages.Get(name, 28, 28, 1), actual);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            // cv2.cartToPolar's angle is an approximation (OpenCV documents about 0.3 degrees); ours is within 1e-7
            // relative: a vote shared between two bins may move by a little of the magnitude
            Assert.True(MathF.Abs(actual[i] - expected[i]) <= 2e-3f, $"{name}: feature {i} is {actual[i]}, OpenCV + numpy {expected[i]}");
        }
    }
}
