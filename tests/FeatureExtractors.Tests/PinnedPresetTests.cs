using System.Numerics;
using System.Runtime.InteropServices;

namespace ImageWorkbench.FeatureExtractors.Tests;

/// <summary>
/// A saved model must keep its scores: the rgb64 presets must give the floats they gave when they were introduced.
/// <see cref="PinnedRgb64Expected"/> holds rgb64-v3's vectors of four images computed by the commit that introduced
/// rgb64-v3 (tools/pin_rgb64); rgb64-v1 and rgb64-v2 are its prefixes. The colour moments and the HSV histogram are
/// computed the same way on any vector width, so they are compared bit for bit everywhere; HOG and the colour
/// statistics sum in <see cref="Vector{T}"/>s, so on a machine whose vectors are not the width the pins were made on
/// they may differ in the last bits, and are compared to 1e-4 there.
/// </summary>
public class PinnedPresetTests
{
    public static TheoryData<string, string> PresetsAndImages()
    {
        var d = new TheoryData<string, string>();
        foreach (string preset in new[] { FeatureSetPresets.Rgb64V1Name, FeatureSetPresets.Rgb64V2Name, FeatureSetPresets.Rgb64V3Name })
        {
            foreach (string image in TestImages.PinnedNames)
            {
                d.Add(preset, image);
            }
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(PresetsAndImages))]
    public void An_rgb64_preset_gives_the_floats_it_was_introduced_with(string preset, string image)
    {
        FeatureSetDefinition definition = FeatureSetPresets.Get(preset);
        float[] expected = Pinned(image)[..definition.OutputLength];
        var actual = new float[definition.OutputLength];
        definition.CreateExtractor().Extract(TestImages.Pinned(image), actual);
        bool sameWidth = Vector<byte>.Count * 8 == PinnedRgb64Expected.VectorBits;
        foreach (FeatureSegment segment in definition.Segments)
        {
            bool widthFree = segment.Name is "moments" or "hsv";
            for (int i = segment.Offset; i < segment.End; i++)
            {
                if (sameWidth || widthFree)
                {
                    Assert.True(
                        BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                        $"{preset} {image} {segment.Name}[{i - segment.Offset}]: pinned {expected[i]:R}, now {actual[i]:R}");
                }
                else
                {
                    Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f, $"{preset} {image} {segment.Name}[{i - segment.Offset}]: pinned {expected[i]:R}, now {actual[i]:R}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(PinnedImages))]
    public void Rgb64_v4_is_rgb64_v3_with_moments_within_1e_3(string image)
    {
        FeatureSetDefinition v3 = FeatureSetPresets.Rgb64V3, v4 = FeatureSetPresets.Rgb64V4;
        Assert.Equal(v3.Segments, v4.Segments);
        var a = new float[v3.OutputLength];
        var b = new float[v4.OutputLength];
        float[] img = TestImages.Pinned(image);
        v3.CreateExtractor().Extract(img, a);
        v4.CreateExtractor().Extract(img, b);
        FeatureSegment moments = v4.GetSegment("moments");
        Assert.Equal(a[..moments.Offset], b[..moments.Offset]);
        for (int i = moments.Offset; i < moments.End; i++)
        {
            Assert.True(Math.Abs(a[i] - b[i]) <= 1e-3f, $"{image} moments[{i - moments.Offset}]: v3 {a[i]:R}, v4 {b[i]:R}");
        }
    }

    public static TheoryData<string> PinnedImages() => new(TestImages.PinnedNames);

    [Fact]
    public void Tabulated_moments_name_is_the_one_rgb64_v3_was_saved_with()
    {
        Assert.Equal("moments(levels=1+2+4,lab)", FeatureSetPresets.Rgb64V3.Extractors[^1].Name);
        Assert.Equal("moments(levels=1+2+4,lab,vectorised)", FeatureSetPresets.Rgb64V4.Extractors[^1].Name);
        Assert.NotEqual(FeatureSetPresets.Rgb64V3.Extractors[^1], FeatureSetPresets.Rgb64V4.Extractors[^1]);
    }

    private static float[] Pinned(string image) =>
        MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(PinnedRgb64Expected.Rgb64V3[image])).ToArray();
}
