using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Models;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Files;
using ImageWorkbench.Runtime.Pictures;

namespace ImageWorkbench.Pipeline.Pictures;

/// <summary>
/// The text's edge-detection demonstration made real: an image's Sobel gx, gy and gradient magnitude, and a HOG glyph
/// picture (one line per orientation bin in each cell, brightness by the bin's weight), as PNGs.
/// </summary>
public static class FeaturePictures
{
    /// <summary>
    /// Writes <c>input.png</c>, <c>gx.png</c>, <c>gy.png</c>, <c>magnitude.png</c> and <c>hog.png</c> into <paramref name="outputFolder"/>,
    /// and the learned-kernel view beside Sobel (<see cref="KernelPictures"/>): <c>sobel-kernels.png</c>, <c>sobel-responses.png</c>,
    /// <c>kernels.png</c>, <c>responses.png</c> and <c>kernels.txt</c> (one line per kernel) of the first convolution of
    /// <paramref name="modelPath"/>'s network, or of the packaged ResNet18 when no model is given; all at once.
    /// </summary>
    public static IReadOnlyList<string> Write(string imagePath, string outputFolder, string? featureSet = null, string? modelPath = null)
    {
        if (FileChecks.WhyNotAFile(imagePath, "an image file") is { } notAFile)
        {
            throw new ImageDecodeException($"{imagePath}: {notAFile}");
        }

        var source = ImageSource.FromFile(imagePath);
        var (kernels, input) = modelPath is null
            ? (ResNet18Model.FirstLayerKernels(), KernelPictures.ResNet18Input)
            : (KernelPictures.TryReadFirstLayer(modelPath) ?? throw new WorkbenchException($"{modelPath}: the model has no convolution layer to show (a hand-crafted model: its kernels are Sobel's)"), ModelPackage.ReadMetadata(modelPath).Input);
        var sobel = KernelPictures.Sobel(source, input);
        var learned = KernelPictures.Learned(kernels, source, input);
        var files = new List<(string Name, byte[] Bytes)>([.. Render(source, featureSet).Select(p => (p.Name + ".png", p.Png))])
        {
            ("sobel-kernels.png", sobel.KernelsPng),
            ("sobel-responses.png", sobel.ResponsesPng),
            ("kernels.png", learned.KernelsPng),
            ("responses.png", learned.ResponsesPng),
            ("kernels.txt", System.Text.Encoding.UTF8.GetBytes(KernelText(kernels, learned))),
        };

        // all pictures or none: they are staged and moved in together
        using var staged = StagedFolder.Begin(outputFolder);
        var written = new List<string>();
        foreach (var (name, bytes) in files)
        {
            AtomicFile.WriteAllBytes(staged.Stage(name), bytes);
            written.Add(staged.Final(name));
        }

        staged.Commit();
        return written;
    }

    /// <summary>The text of <c>kernels.txt</c>: which layer, how the pictures are drawn, one line per kernel.</summary>
    public static string KernelText(ConvKernels kernels, KernelView view)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        ArgumentNullException.ThrowIfNull(view);
        var header = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"# {kernels.Layer}: {kernels.Count} kernels of {kernels.Channels} x {kernels.Height} x {kernels.Width}, numbered row by row as in kernels.png and responses.png\n");
        return header + string.Join('\n', view.Lines) + "\n";
    }

    /// <summary>The pictures as (name, PNG bytes): input, gx, gy, magnitude, hog; at a feature set's input size when one is named.</summary>
    public static IReadOnlyList<(string Name, byte[] Png)> Render(ImageSource source, string? featureSet = null) =>
        FeaturePictureRenderer.Render(source, featureSet is null ? null : FeatureSetPresets.Get(featureSet).InputShape.Width);
}
