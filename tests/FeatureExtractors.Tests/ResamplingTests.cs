namespace ImageWorkbench.FeatureExtractors.Tests;

public class ResamplingTests
{
    private static float[] Resize(float[] source, ImageShape from, ImageShape to, ResizeMode mode = ResizeMode.Stretch)
    {
        var result = new float[to.Length];
        Array.Fill(result, -1f); // anything not written shows up
        Resampling.Resize(source, from, result, to, mode);
        return result;
    }

    [Fact]
    public void Shrinking_2x2_to_1x1_gives_the_mean()
    {
        float[] r = Resize([0.1f, 0.2f, 0.3f, 0.6f], new(2, 2, 1), new(1, 1, 1));
        Assert.Equal(0.3f, r[0], 5);
    }

    [Fact]
    public void Enlarging_1x1_to_2x2_replicates()
    {
        float[] r = Resize([0.7f], new(1, 1, 1), new(2, 2, 1));
        Assert.All(r, v => Assert.Equal(0.7f, v, 6));
    }

    [Fact]
    public void Same_size_is_an_exact_copy_in_every_mode()
    {
        var rng = new Random(1);
        float[] src = new float[5 * 3 * 3];
        for (int i = 0; i < src.Length; i++)
        {
            src[i] = (float)rng.NextDouble();
        }

        foreach (ResizeMode mode in Enum.GetValues<ResizeMode>())
        {
            Assert.Equal(src, Resize(src, new(5, 3, 3), new(5, 3, 3), mode));
        }
    }

    [Fact]
    public void Shrinking_by_two_averages_2x2_blocks()
    {
        float[] src =
        [
            0, 1, 2, 3,
            4, 5, 6, 7,
            8, 9, 10, 11,
            12, 13, 14, 15,
        ];
        float[] r = Resize(src, new(4, 4, 1), new(2, 2, 1));
        Assert.Equal([2.5f, 4.5f, 10.5f, 12.5f], r);
    }

    [Fact]
    public void Shrinking_by_a_non_integer_factor_weights_by_overlap()
    {
        // 3 -> 2: target 0 covers [0, 1.5): 1*a + 0.5*b over 1.5; target 1 covers [1.5, 3): 0.5*b + 1*c over 1.5.
        float[] r = Resize([0f, 3f, 6f], new(3, 1, 1), new(2, 1, 1));
        Assert.Equal(1f, r[0], 5);
        Assert.Equal(5f, r[1], 5);
    }

    [Fact]
    public void Enlarging_interpolates_between_pixel_centres_and_clamps_at_edges()
    {
        // centres of 4 target pixels in source coordinates: -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
        float[] r = Resize([0f, 1f], new(2, 1, 1), new(4, 1, 1));
        Assert.Equal([0f, 0.25f, 0.75f, 1f], r);
    }

    [Fact]
    public void Each_axis_picks_its_own_method_and_channels_stay_separate()
    {
        // 4x1 -> 2x2: x shrinks (pairs averaged), y grows (row replicated); channel 2 is channel 1 plus 10.
        float[] src = [0, 1, 2, 3, 10, 11, 12, 13];
        float[] r = Resize(src, new(4, 1, 2), new(2, 2, 2));
        Assert.Equal([0.5f, 2.5f, 0.5f, 2.5f, 10.5f, 12.5f, 10.5f, 12.5f], r);
    }

    [Fact]
    public void Pad_letterboxes_a_wide_image_vertically_with_zero()
    {
        // 4x2 into 4x4: scale 1, content rows 1..2, rows 0 and 3 are zero.
        float[] src = [1, 2, 3, 4, 5, 6, 7, 8];
        float[] r = Resize(src, new(4, 2, 1), new(4, 4, 1), ResizeMode.Pad);
        Assert.Equal([0f, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0], r);
    }

    [Fact]
    public void Pad_letterboxes_a_tall_image_horizontally_and_scales_it()
    {
        // 2x4 into 2x2: scale 0.5 -> 1x2 content at column 0 ((2 - 1) / 2 = 0), column 1 zero.
        float[] src = [1, 1, 2, 2, 3, 3, 4, 4];
        float[] r = Resize(src, new(2, 4, 1), new(2, 2, 1), ResizeMode.Pad);
        Assert.Equal([1.5f, 0f, 3.5f, 0f], r);
        var layout = Resampling.ComputeLayout(2, 4, 2, 2, ResizeMode.Pad);
        Assert.Equal((0, 0, 1, 2), (layout.DestX, layout.DestY, layout.DestWidth, layout.DestHeight));
    }

    [Fact]
    public void CenterCrop_keeps_the_middle_columns()
    {
        // 4x2 into 2x2: scale 1, window x = 1..2.
        float[] src = [0, 1, 2, 3, 10, 11, 12, 13];
        float[] r = Resize(src, new(4, 2, 1), new(2, 2, 1), ResizeMode.CenterCrop);
        Assert.Equal([1f, 2f, 11f, 12f], r);
    }

    [Fact]
    public void CenterCrop_scales_the_window_down()
    {
        // 6x2 into 1x1: scale 0.5, window is the 2x2 block at x = 2..3.
        float[] src = [0, 0, 1, 3, 9, 9, 9, 9, 5, 7, 9, 9];
        float[] r = Resize(src, new(6, 2, 1), new(1, 1, 1), ResizeMode.CenterCrop);
        Assert.Equal(4f, r[0], 5);
        var layout = Resampling.ComputeLayout(6, 2, 1, 1, ResizeMode.CenterCrop);
        Assert.Equal((2.0, 0.0, 2.0, 2.0), (layout.SourceX, layout.SourceY, layout.SourceWidth, layout.SourceHeight));
    }

    /// <summary>
    /// Why the CNN's crop-or-stretch choice only matters for photos: a square image (Fashion-MNIST's 28x28, a 32x32 set)
    /// scaled to the square network input reads the same window and fills the same rectangle in every mode, so the
    /// network sees the same pixels whatever --resize says (unlike the scale-to-256-then-crop-224 convention).
    /// </summary>
    [Theory]
    [InlineData(28, 224)]
    [InlineData(32, 224)]
    [InlineData(300, 224)]
    public void A_square_image_on_a_square_target_is_resized_alike_in_every_mode(int side, int target)
    {
        var stretch = Resampling.ComputeLayout(side, side, target, target, ResizeMode.Stretch);
        Assert.Equal(stretch, Resampling.ComputeLayout(side, side, target, target, ResizeMode.CenterCrop));
        Assert.Equal(stretch, Resampling.ComputeLayout(side, side, target, target, ResizeMode.Pad));
    }

    [Fact]
    public void Constant_image_stays_constant_at_awkward_sizes()
    {
        float[] src = new float[7 * 5 * 3];
        Array.Fill(src, 0.4f);
        foreach (ResizeMode mode in new[] { ResizeMode.Stretch, ResizeMode.CenterCrop })
        {
            Assert.All(Resize(src, new(7, 5, 3), new(3, 11, 3), mode), v => Assert.Equal(0.4f, v, 5));
            Assert.All(Resize(src, new(7, 5, 3), new(13, 2, 3), mode), v => Assert.Equal(0.4f, v, 5));
        }
    }

    [Fact]
    public void Mismatched_channels_or_short_buffers_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Resampling.Resize(new float[4], new(2, 2, 1), new float[12], new(2, 2, 3), ResizeMode.Stretch));
        Assert.Throws<ArgumentException>(() => Resampling.Resize(new float[3], new(2, 2, 1), new float[4], new(2, 2, 1), ResizeMode.Stretch));
        Assert.Throws<ArgumentException>(() => Resampling.Resize(new float[4], new(2, 2, 1), new float[3], new(2, 2, 1), ResizeMode.Stretch));
    }
}
