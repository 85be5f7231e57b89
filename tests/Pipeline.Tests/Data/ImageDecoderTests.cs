using System.Diagnostics;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using SkiaSharp;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;

namespace ImageWorkbench.Pipeline.Tests.Data;

public class ImageDecoderTests
{
    private static readonly SKColor[] Quad = [new(255, 0, 0), new(0, 255, 0), new(0, 0, 255), new(255, 255, 255)];

    private static float[] Decode(ImageSource source, ImageShape shape, ResizeMode mode = ResizeMode.Stretch)
    {
        float[] result = new float[shape.Length];
        ImageDecoder.Default.Decode(source, shape, mode, result);
        return result;
    }

    private static void Near(float expected, float actual, float tolerance = 1.5f / 255) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected} +- {tolerance}, got {actual}");

    [Fact]
    public void Rgb_png_gives_planar_r_g_b()
    {
        byte[] png = TestData.Encode(2, 2, (x, y) => Quad[(y * 2) + x], SKColorType.Rgb888x);
        float[] r = Decode(ImageSource.FromEncoded(png, "quad.png"), new ImageShape(2, 2, 3));
        Assert.Equal([1f, 0, 0, 1, /* G */ 0, 1, 0, 1, /* B */ 0, 0, 1, 1], r);
    }

    [Fact]
    public void Colour_to_one_channel_is_luminance()
    {
        byte[] png = TestData.Encode(2, 2, (x, y) => Quad[(y * 2) + x]);
        float[] r = Decode(ImageSource.FromEncoded(png, "quad.png"), new ImageShape(2, 2, 1));
        Near(0.299f, r[0], 1e-5f);
        Near(0.587f, r[1], 1e-5f);
        Near(0.114f, r[2], 1e-5f);
        Near(1f, r[3], 1e-5f);
    }

    [Fact]
    public void Grey_png_is_replicated_to_three_channels_and_kept_for_one()
    {
        byte[] png = TestData.Encode(3, 1, (x, _) => new SKColor((byte)(x * 100), (byte)(x * 100), (byte)(x * 100)), SKColorType.Gray8);
        float[] rgb = Decode(ImageSource.FromEncoded(png, "grey.png"), new ImageShape(3, 1, 3));
        Assert.Equal([0f, 100 / 255f, 200 / 255f, 0f, 100 / 255f, 200 / 255f, 0f, 100 / 255f, 200 / 255f], rgb);
        float[] grey = Decode(ImageSource.FromEncoded(png, "grey.png"), new ImageShape(3, 1, 1));
        Assert.Equal([0f, 100 / 255f, 200 / 255f], grey);
    }

    [Fact]
    public void Rgba_png_drops_alpha_after_compositing_on_black()
    {
        byte[] png = TestData.Encode(2, 1, (x, _) => x == 0 ? new SKColor(255, 255, 255, 128) : new SKColor(10, 20, 30, 255));
        float[] r = Decode(ImageSource.FromEncoded(png, "alpha.png"), new ImageShape(2, 1, 3));
        Near(128 / 255f, r[0]);
        Near(128 / 255f, r[2]);
        Near(128 / 255f, r[4]);
        Near(10 / 255f, r[1]);
        Near(20 / 255f, r[3]);
        Near(30 / 255f, r[5]);
    }

    [Fact]
    public void Jpeg_file_decodes_close_to_its_colour_and_is_resized()
    {
        using var dir = new TempDir();
        string path = dir.Write("solid.jpg", TestData.Encode(16, 8, (_, _) => new SKColor(200, 100, 50), SKColorType.Rgba8888, SKEncodedImageFormat.Jpeg, 95));
        float[] r = Decode(ImageSource.FromFile(path), new ImageShape(4, 4, 3), ResizeMode.Pad);
        // 16x8 letterboxed into 4x4: rows 1..2 hold the image, rows 0 and 3 are zero
        for (int c = 0; c < 3; c++)
        {
            float expected = new[] { 200f, 100f, 50f }[c] / 255f;
            for (int i = 0; i < 16; i++)
            {
                int row = i / 4;
                Near(row is 1 or 2 ? expected : 0f, r[(c * 16) + i], row is 1 or 2 ? 0.03f : 0f);
            }
        }
    }

    [Fact]
    public void Raw_pixels_are_converted_without_a_codec()
    {
        var src = ImageSource.FromRawPixels(new byte[] { 0, 51, 102, 255 }, 2, 2, 1, "raw#0");
        Assert.Equal([0f, 0.2f, 0.4f, 1f], Decode(src, new ImageShape(2, 2, 1)));
        Near(0.4f, Decode(src, new ImageShape(1, 1, 3))[2], 1e-6f); // mean of the four, in the B plane
        var rgba = ImageSource.FromRawPixels(new byte[] { 255, 0, 0, 51 }, 1, 1, 4, "rgba#0");
        Assert.Equal([0.2f, 0f, 0f], Decode(rgba, new ImageShape(1, 1, 3)));
    }

    private static ImageDecodeException Fails(ImageSource source)
    {
        float[] buffer = new float[8 * 8];
        Assert.False(ImageDecoder.Default.TryDecode(source, new ImageShape(8, 8, 1), ResizeMode.Stretch, buffer, out string? error));
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Default.Decode(source, new ImageShape(8, 8, 1), ResizeMode.Stretch, buffer));
        Assert.Equal(e.Message, error);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void Zero_byte_file_is_refused_with_its_name()
    {
        using var dir = new TempDir();
        string path = dir.Write("empty.png", []);
        Assert.Equal($"{path}: empty file (0 bytes)", Fails(ImageSource.FromFile(path)).Message);
    }

    [Fact]
    public void Random_bytes_and_missing_files_are_refused()
    {
        using var dir = new TempDir();
        byte[] noise = new byte[1000];
        new Random(5).NextBytes(noise);
        string path = dir.Write("noise.jpg", noise);
        var e = Fails(ImageSource.FromFile(path));
        Assert.StartsWith($"{path}: not a supported image", e.Message, StringComparison.Ordinal);

        Assert.Equal($"{dir.PathOf("gone.png")}: file not found", Fails(ImageSource.FromFile(dir.PathOf("gone.png"))).Message);
        Directory.CreateDirectory(dir.PathOf("folder.png"));
        Assert.Equal($"{dir.PathOf("folder.png")}: is a folder, not an image file", Fails(ImageSource.FromFile(dir.PathOf("folder.png"))).Message);
        Assert.StartsWith("blob: not a supported image", Fails(ImageSource.FromEncoded(noise, "blob")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_png_and_jpeg_are_refused()
    {
        using var dir = new TempDir();
        byte[] png = TestData.NoisePng(64);
        string pngPath = dir.Write("cut.png", png[..(png.Length / 2)]);
        var e = Fails(ImageSource.FromFile(pngPath));
        Assert.StartsWith($"{pngPath}: truncated", e.Message, StringComparison.Ordinal);

        var rng = new Random(9);
        byte[] jpeg = TestData.Encode(64, 64, (_, _) => new SKColor((byte)rng.Next(256), 0, 0), SKColorType.Rgba8888, SKEncodedImageFormat.Jpeg, 90);
        string jpegPath = dir.Write("cut.jpg", jpeg[..(jpeg.Length * 2 / 3)]);
        Assert.StartsWith($"{jpegPath}: truncated", Fails(ImageSource.FromFile(jpegPath)).Message, StringComparison.Ordinal);

        // the header alone (signature cut short)
        Assert.Contains("cut8.png", Fails(ImageSource.FromEncoded(png[..8], "cut8.png")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_no_codec_accepts_is_refused_naming_the_image_and_saying_why()
    {
        byte[] png = TestData.NoisePng(64);
        Assert.Equal(
            "cut20.png: truncated: the image header is incomplete (20 bytes)",
            Fails(ImageSource.FromEncoded(png[..20], "cut20.png")).Message);

        byte[] badHeader = (byte[])png.Clone();
        badHeader[24] = 3; // bit depth 3, which no PNG has (libpng gives up on the header; SkiaSharp calls it incomplete)
        Assert.Equal(
            $"bad-ihdr.png: truncated: the image header is incomplete ({png.Length} bytes)",
            Fails(ImageSource.FromEncoded(badHeader, "bad-ihdr.png")).Message);
    }

    [Fact]
    public void Header_claiming_100000_by_100000_is_refused_quickly()
    {
        byte[] png = TestData.PngHeaderOnly(100_000, 100_000);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        var e = Fails(ImageSource.FromEncoded(png, "huge.png"));
        sw.Stop();
        Assert.Contains("huge.png: header claims 100000x100000 pixels, more than the limit", e.Message, StringComparison.Ordinal);
        Assert.True(sw.ElapsedMilliseconds < 1000, $"took {sw.ElapsedMilliseconds} ms");
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 10_000_000, "allocated a large buffer");
    }

    [Fact]
    public void Limits_are_configurable()
    {
        byte[] png = TestData.Encode(40, 10, (_, _) => SKColors.Gray);
        var small = new ImageDecoder { MaxSide = 32 };
        Assert.False(small.TryDecode(ImageSource.FromEncoded(png, "wide.png"), new ImageShape(8, 8, 1), ResizeMode.Stretch, new float[64], out string? error));
        Assert.Contains("40x10", error, StringComparison.Ordinal);
        Assert.True(ImageDecoder.Default.TryDecode(ImageSource.FromEncoded(png, "wide.png"), new ImageShape(8, 8, 1), ResizeMode.Stretch, new float[64], out error));
        Assert.Null(error);
    }

    [Fact]
    public void Decoding_is_thread_safe()
    {
        byte[] png = TestData.NoisePng(32, seed: 3);
        float[] expected = Decode(ImageSource.FromEncoded(png, "n.png"), new ImageShape(16, 16, 3));
        Parallel.For(0, 40, new ParallelOptions { MaxDegreeOfParallelism = 2 }, _ =>
            Assert.Equal(expected, Decode(ImageSource.FromEncoded(png, "n.png"), new ImageShape(16, 16, 3))));
    }
}
