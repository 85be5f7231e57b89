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

    private static float[] Pinned(string image) =>
        MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(PinnedRgb64Expected.Rgb64V3[image])).ToArray();
}
