using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using SkiaSharp;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>
/// A folder-per-class data set full of hostile files, generated in a temp folder. Each file ends one of two ways in
/// <c>train</c>: used (no warning names it) or skipped (one warning names it, counted in the summary); in
/// <c>predict</c> a skipped kind gives one <c>error:</c> line naming it and exit code 1.
/// </summary>
[Collection("Console")]
public sealed class HostileImageTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hostile-img-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>File name (in class a) -> bytes; decoded and used.</summary>
    private static Dictionary<string, byte[]> UsedFiles()
    {
        var leftDarkRightLight = LeftDarkRightLight(40, 20);
        return new()
        {
            ["one-pixel.png"] = HostileFiles.Picture(1, 1, 0, 1),
            ["one-by-forty.png"] = HostileFiles.Picture(1, 40, 0, 2),
            ["forty-by-one.jpg"] = HostileFiles.Picture(40, 1, 0, 3, SKEncodedImageFormat.Jpeg),
            ["sixteen-bit.png"] = HostileFiles.Png(16, 16, 16, 2, _ => [.. Enumerable.Repeat<byte[]>([0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00], 16).SelectMany(b => b)]),
            ["grey-alpha.png"] = HostileFiles.Png(16, 16, 8, 4, _ => [.. Enumerable.Repeat<byte[]>([0xFF, 0x80], 16).SelectMany(b => b)]),
            ["cmyk.jpg"] = HostileFiles.CmykJpeg(16, 16, [255, 0, 0, 255]),
            ["animated.gif"] = HostileFiles.AnimatedGif(8, 8),
            ["exif-rotated.jpg"] = HostileFiles.WithExifOrientation(leftDarkRightLight, 6),
            ["spaced name (copy 2) — naïve 日本.png"] = HostileFiles.Picture(24, 24, 0, 4),
            ["UPPER CASE.JPEG"] = HostileFiles.Picture(24, 24, 0, 5, SKEncodedImageFormat.Jpeg),
        };
    }

    /// <summary>File name (in class a) -> bytes; skipped with a warning.</summary>
    private static Dictionary<string, byte[]> SkippedFiles()
    {
        var jpeg = HostileFiles.Picture(64, 64, 0, 6, SKEncodedImageFormat.Jpeg);
        var png = HostileFiles.Picture(64, 64, 0, 7);
        var random = new byte[5000];
        new Random(8).NextBytes(random);
        return new()
        {
            ["zero-bytes.png"] = [],
            ["truncated.jpg"] = jpeg[..(jpeg.Length / 2)],
            ["truncated.png"] = png[..(png.Length / 2)],
            ["random-bytes.jpg"] = random,
            ["header-100000x100000.png"] = HostileFiles.PngClaiming(100_000, 100_000),
        };
    }

    private static byte[] LeftDarkRightLight(int w, int h)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                bitmap.SetPixel(x, y, x < w / 2 ? SKColors.Black : SKColors.White);
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 95);
        return data.ToArray();
    }

    private string BuildDataSet()
    {
        var data = Path.Combine(_root, "data");
        var a = Directory.CreateDirectory(Path.Combine(data, "a")).FullName;
        var b = Directory.CreateDirectory(Path.Combine(data, "b")).FullName;
        for (var i = 0; i < 8; i++)
        {
            File.WriteAllBytes(Path.Combine(a, $"good{i}.png"), HostileFiles.Picture(32, 32, 0, 100 + i));
            File.WriteAllBytes(Path.Combine(b, $"good{i}.png"), HostileFiles.Picture(32, 32, 1, 200 + i));
        }

        foreach (var (name, bytes) in UsedFiles().Concat(SkippedFiles()))
        {
            File.WriteAllBytes(Path.Combine(a, name), bytes);
        }

        // a symbolic link loop (a/loop -> a), a file link to itself, an empty class folder, a class with one image
        Directory.CreateSymbolicLink(Path.Combine(a, "loop"), a);
        File.CreateSymbolicLink(Path.Combine(a, "self-link.png"), Path.Combine(a, "self-link.png"));
        Directory.CreateDirectory(Path.Combine(data, "empty"));
        HostileFiles.MakeFifo(Path.Combine(a, "named-pipe.png"));
        using (var sparse = File.Create(Path.Combine(a, "300-megabytes.png")))
        {
            sparse.Write(HostileFiles.Picture(8, 8, 0, 9));
            sparse.SetLength(300L << 20); // sparse: no disk used
        }

        Directory.CreateDirectory(Path.Combine(a, "folder-named.png"));
        var solo = Directory.CreateDirectory(Path.Combine(data, "solo")).FullName;
        File.WriteAllBytes(Path.Combine(solo, "only.png"), HostileFiles.Picture(32, 32, 1, 300));
        return data;
    }

    [Fact]
    public void Hostile_images_in_a_data_set_are_used_or_skipped_with_a_warning_and_predict_names_each_bad_one()
    {
        var data = BuildDataSet();
        var outDir = Path.Combine(_root, "out");
        var model = Path.Combine(outDir, "model.zip");
        var train = Cli.Run("train", "--pipeline", "handcrafted", "--data", data, "--out", model, "--max-bad-fraction", "0.5");
        Assert.True(train.ExitCode == 0, train.ToString());
        train.AssertNoStackTrace();
        Assert.Empty(train.Errors);

        // skipped: the self-link plus every unreadable file, one warning each naming it, counted in the summary
        var skipped = SkippedFiles().Keys.Append("self-link.png").Append("named-pipe.png").Append("300-megabytes.png").ToList();
        foreach (var name in skipped)
        {
            var lines = train.Warnings.Where(w => w.Contains(name, StringComparison.Ordinal)).ToList();
            Assert.True(lines.Count == 1, $"{name}: expected one warning\n{train}");
            Assert.StartsWith($"warning: {Path.Combine(data, "a", name)}: ", lines[0], StringComparison.Ordinal);
            Assert.True(name == "self-link.png" || lines[0].IndexOf(name, StringComparison.Ordinal) == lines[0].LastIndexOf(name, StringComparison.Ordinal), $"the file is named twice: {lines[0]}");
        }

        Assert.Contains($", {skipped.Count} skipped", train.Out, StringComparison.Ordinal);

        // used: no warning names them
        foreach (var name in UsedFiles().Keys)
        {
            Assert.False(train.Warnings.Any(w => w.Contains(name, StringComparison.Ordinal)), $"{name} was not used\n{train}");
        }

        // structure: the loop, the empty folder and the single-image class are noted, not fatal
        Assert.Contains(train.Warnings, w => w.Contains("loop", StringComparison.Ordinal) && w.Contains("not followed", StringComparison.Ordinal));
        Assert.Contains(train.Warnings, w => w.Contains("empty", StringComparison.Ordinal) && w.Contains("no images", StringComparison.Ordinal));
        Assert.Contains(train.Warnings, w => w.Contains("'solo'", StringComparison.Ordinal) && w.Contains("single image", StringComparison.Ordinal));
        Assert.Equal(["a", "b", "solo"], ModelPackage.ReadMetadata(model).Classes);
        Cli.AssertNoTempFiles(outDir);
        Assert.Equal(["model.zip"], Directory.GetFiles(outDir).Select(Path.GetFileName));

        // predict: every used file predicts; each unreadable one gives exactly one error line naming it
        var a = Path.Combine(data, "a");
        var good = Cli.Run(["predict", "--model", model, .. UsedFiles().Keys.Select(n => Path.Combine(a, n))]);
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Empty(good.ErrLines);
        Assert.Equal(UsedFiles().Count, good.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        foreach (var name in skipped)
        {
            var bad = Cli.Run("predict", "--model", model, Path.Combine(a, name));
            bad.AssertOneErrorNaming(name);
            Assert.True(name == "self-link.png" || bad.Errors[0].IndexOf(name, StringComparison.Ordinal) == bad.Errors[0].LastIndexOf(name, StringComparison.Ordinal), $"the file is named twice: {bad.Errors[0]}");
        }
    }

    [Fact]
    public void Odd_but_valid_images_decode_to_the_right_pixels()
    {
        var files = UsedFiles();
        float[] Decode(string name, int side = 8, int channels = 3)
        {
            var shape = new ImageShape(side, side, channels);
            var pixels = new float[shape.Length];
            ImageDecoder.Default.Decode(ImageSource.FromEncoded(files[name], name), shape, ResizeMode.Stretch, pixels);
            return pixels;
        }

        static (float R, float G, float B) Mean(float[] p)
        {
            var n = p.Length / 3;
            return (p[..n].Average(), p[n..(2 * n)].Average(), p[(2 * n)..].Average());
        }

        var cmyk = Mean(Decode("cmyk.jpg"));
        Assert.True(cmyk.R > 0.9 && cmyk.G < 0.1 && cmyk.B < 0.1, $"CMYK (no cyan, full magenta+yellow) should be red, got {cmyk}");
        var sixteen = Mean(Decode("sixteen-bit.png"));
        Assert.True(Math.Abs(sixteen.R - 1) < 0.01 && Math.Abs(sixteen.G - 0.5) < 0.01 && sixteen.B < 0.01, $"16-bit PNG, got {sixteen}");
        var greyAlpha = Mean(Decode("grey-alpha.png"));
        Assert.True(Math.Abs(greyAlpha.R - 0.5) < 0.02 && Math.Abs(greyAlpha.G - 0.5) < 0.02, $"white at half alpha on black, got {greyAlpha}");
        var gif = Mean(Decode("animated.gif"));
        Assert.True(gif.R > 0.95 && gif.G < 0.05, $"first GIF frame is red, got {gif}");

        // EXIF orientation 6: the stored image's left (dark) half is shown on top.
        var rotated = Decode("exif-rotated.jpg", 8, 1);
        var top = rotated[..32].Average();
        var bottom = rotated[32..].Average();
        Assert.True(top < 0.2 && bottom > 0.8, $"EXIF orientation 6 not applied: top {top:F2}, bottom {bottom:F2}");
    }

    [Fact]
    public void A_manifest_with_odd_lines_is_read_and_a_malformed_one_is_one_error_line()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, "manifest")).FullName;
        var lines = new List<string> { "\uFEFFpath,label" };
        for (var i = 0; i < 6; i++)
        {
            File.WriteAllBytes(Path.Combine(folder, $"x, {i}.png"), HostileFiles.Picture(16, 16, 0, i));
            File.WriteAllBytes(Path.Combine(folder, $"y{i}.png"), HostileFiles.Picture(16, 16, 1, 50 + i));
            lines.Add($"\"x, {i}.png\",stripes across");
            lines.Add($"y{i}.png,\"stripes, down\"");
        }

        lines.Add("missing file.png,stripes across");
        lines.Add("y0.png,\"stripes, down\"");
        lines.Add(string.Empty);
        var manifest = Path.Combine(folder, "list.csv");
        File.WriteAllText(manifest, string.Join("\r\n", lines), new System.Text.UTF8Encoding(false));
        var outPath = Path.Combine(_root, "manifest.zip");
        var train = Cli.Run("train", "--pipeline", "handcrafted", "--data", manifest, "--out", outPath, "--max-bad-fraction", "0.2");
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Single(train.Warnings, w => w.Contains("missing file.png", StringComparison.Ordinal) && w.Contains("not found", StringComparison.Ordinal));
        Assert.Single(train.Warnings, w => w.Contains("list.csv:15", StringComparison.Ordinal) && w.Contains("already listed", StringComparison.Ordinal));
        Assert.Contains(", 1 skipped", train.Out, StringComparison.Ordinal);
        Assert.Equal(["stripes across", "stripes, down"], ModelPackage.ReadMetadata(outPath).Classes);

        var broken = Path.Combine(folder, "broken.csv");
        File.WriteAllText(broken, "y0.png,a\ny1.png,\"b\n");
        var bad = Cli.Run("train", "--pipeline", "handcrafted", "--data", broken, "--out", Path.Combine(_root, "broken.zip"));
        bad.AssertOneErrorNaming(broken);
        Assert.Contains("broken.csv:2", bad.Errors[0], StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "broken.zip")));
    }

    [Fact]
    public void Verbose_adds_the_stack_trace_and_only_then()
    {
        var outPath = Path.Combine(_root, "v.zip");
        var quiet = Cli.Run("train", "--data", Path.Combine(_root, "nothing-here"), "--out", outPath);
        quiet.AssertOneErrorNaming("nothing-here");
        var verbose = Cli.Run("train", "--data", Path.Combine(_root, "nothing-here"), "--out", outPath, "--verbose");
        Assert.Equal(1, verbose.ExitCode);
        Assert.Single(verbose.Errors);
        Assert.Contains(verbose.ErrLines, l => l.StartsWith("   at ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_single_class_is_one_error_line()
    {
        var data = Path.Combine(_root, "single");
        var only = Directory.CreateDirectory(Path.Combine(data, "only")).FullName;
        for (var i = 0; i < 4; i++)
        {
            File.WriteAllBytes(Path.Combine(only, $"{i}.png"), HostileFiles.Picture(16, 16, 0, i));
        }

        var outPath = Path.Combine(_root, "single.zip");
        var result = Cli.Run("train", "--pipeline", "handcrafted", "--data", data, "--out", outPath);
        result.AssertOneErrorNaming(data);
        Assert.Contains("only one class", result.Errors[0], StringComparison.Ordinal);
        Assert.False(File.Exists(outPath));
    }
}
