using System.Globalization;
using ImageWorkbench.FeatureExtractors;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>Which channel order the network is fed. The input buffer is always RGB planar.</summary>
public enum CnnChannelOrder
{
    /// <summary>Feed the network RGB, as the shipped preprocessing expects (it swaps to BGR internally). Right.</summary>
    Rgb,

    /// <summary>Feed the planes reversed (the network then sees RGB inside). Wrong; kept for A/B checks only.</summary>
    Bgr,
}

/// <summary>Arithmetic of the ResNet18 backbone.</summary>
public enum CnnPrecision
{
    /// <summary>The packaged float32 network (default).</summary>
    Float,

    /// <summary>The int8 QDQ network built from it (<see cref="ResNet18Int8"/>): about 3x the images per CPU-second, slightly different features.</summary>
    Int8,
}

/// <summary>
/// The preprocessing in front of the CNN: the square input size, how images are fitted to it, the channel
/// order. The image buffer the CNN takes is planar float RGB, values 0..1 (the workbench convention, see
/// <see cref="ImageShape"/>), <see cref="InputSize"/> x <see cref="InputSize"/>; the resize itself is done
/// by the decoder.
/// </summary>
/// <param name="InputSize">Side of the square input, a multiple of 32 (224 native; 96 or 128 for small images).</param>
/// <param name="ResizeMode">How images are fitted to the square (centre crop measured best, see <see cref="Default"/>).</param>
/// <param name="ChannelOrder">Channel order fed to the network (RGB is right).</param>
/// <param name="Precision">The backbone's arithmetic: float (default) or the int8 network.</param>
public sealed record CnnPreprocessing(
    int InputSize = ResNet18Model.NativeInputSize,
    ResizeMode ResizeMode = ResizeMode.CenterCrop,
    CnnChannelOrder ChannelOrder = CnnChannelOrder.Rgb,
    CnnPrecision Precision = CnnPrecision.Float)
{
    /// <summary>
    /// 224, centre crop, RGB. Measured on caltech101-dev (10 classes, 563 train / 282 test JPEGs, SkiaSharp
    /// high-quality resize, ML.NET LbfgsMaximumEntropy on min-max normalised features), test accuracy, full
    /// training set / mean of 20 paired 5-shot draws: centre crop 1.000 / 0.987, pad 1.000 / 0.984, stretch
    /// 0.996 / 0.980 (centre crop won 15 draws, lost 2); BGR instead of RGB (stretch) 0.988 / 0.954 (RGB won 18
    /// draws, 2 ties); 128 instead of 224 (stretch) 0.976 / 0.929. For square images (Fashion-MNIST, 32x32 sets) the
    /// modes agree exactly: a square image on the square input reads and fills the same rectangles in every mode (a
    /// Resampling test), so crop or stretch changes nothing there, unlike the scale-to-256-then-crop-224 convention.
    /// Re-checked on validation splits carved from train (never test), 2026-12-02, <c>train --pipeline cnn --trainer
    /// auto --resize center-crop|stretch</c>, accuracy on the held-out part, L-BFGS / LightGBM: caltech101-dev, five
    /// splits (seeds 42-46, 111 images each) crop 0.998 / 0.982, stretch 1.000 / 0.996 (stretch never worse on a split);
    /// caltech101-mini (48 images) crop 1.000 / 0.917, stretch 1.000 / 0.979. With the photo head, L-BFGS (see the CNN
    /// wing's DefaultTrainerFor), that is one image in 555, within noise, so centre crop stays the default and every
    /// cached feature and saved model keeps its id; <c>--resize stretch</c> is the better choice with a LightGBM head.
    /// </summary>
    public static CnnPreprocessing Default { get; } = new();

    /// <summary>
    /// Stable identifier of network and preprocessing, used in feature-cache keys and model metadata, e.g.
    /// <c>resnet18-onnx-0.23.1/224/stretch/rgb</c>, with <c>/int8-</c> and the quantisation version appended for the int8
    /// backbone (the float id is unchanged, so existing caches and models keep theirs). Changing anything that changes the features changes it.
    /// </summary>
    public string Id =>
        string.Create(CultureInfo.InvariantCulture, $"{ResNet18Model.NetworkId}/{InputSize}/{ResizeMode.ToString().ToLowerInvariant()}/{ChannelOrder.ToString().ToLowerInvariant()}")
        + (Precision == CnnPrecision.Int8 ? "/int8-" + ResNet18Int8.Version : string.Empty);

    /// <summary>Shape of the planar image buffer the CNN takes: InputSize x InputSize x 3.</summary>
    public ImageShape InputShape => new(InputSize, InputSize, 3);

    /// <summary>Floats in one input image: 3 x InputSize x InputSize.</summary>
    public int InputLength => 3 * InputSize * InputSize;

    /// <summary>Throws a <see cref="WorkbenchException"/> unless the options are usable.</summary>
    public void Validate()
    {
        ResNet18Model.ValidateInputSize(InputSize);
        if (!Enum.IsDefined(ResizeMode) || !Enum.IsDefined(ChannelOrder) || !Enum.IsDefined(Precision))
        {
            throw new WorkbenchException($"invalid CNN preprocessing {this}");
        }
    }

    public override string ToString() => Id;
}
