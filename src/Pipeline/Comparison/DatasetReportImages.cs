using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pictures;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;

namespace ImageWorkbench.Pipeline.Comparison;

/// <summary>Supplies the report's pictures from the data set: thumbnails of test images and Sobel/HOG examples.</summary>
public sealed class DatasetReportImages : IReportImages
{
    private const int ThumbnailSide = 64;
    private readonly Dictionary<string, LabeledImage> _byName;
    private readonly ImageDataset _data;
    private readonly int _featureExamples;

    public DatasetReportImages(ImageDataset data, int featureExamples = 3)
    {
        ArgumentNullException.ThrowIfNull(data);
        _data = data;
        _featureExamples = featureExamples;
        _byName = new Dictionary<string, LabeledImage>(StringComparer.Ordinal);
        foreach (var image in data.Test.Concat(data.Train))
        {
            _byName.TryAdd(image.Source.Name, image);
        }
    }

    public byte[]? ThumbnailPng(string imageName)
    {
        if (!_byName.TryGetValue(imageName, out var image))
        {
            return null;
        }

        var shape = new ImageShape(ThumbnailSide, ThumbnailSide, 3);
        var pixels = new float[shape.Length];
        return ImageDecoder.Default.TryDecode(image.Source, shape, ResizeMode.Pad, pixels, out _) ? PngWriter.Encode(pixels, shape) : null;
    }

    /// <summary>The first test image (the first training image without a test split).</summary>
    public ImageSource? KernelExample() => _data.Test.Concat(_data.Train).Select(i => i.Source).FirstOrDefault();

    /// <summary>Sobel gx, gy, magnitude and HOG glyph pictures of the first test image of a few classes.</summary>
    public IReadOnlyList<(string Caption, byte[] Png)> FeatureExamples()
    {
        var pictures = new List<(string, byte[])>();
        var examples = _data.Test.GroupBy(i => i.Label).OrderBy(g => g.Key).Select(g => g.First()).Take(_featureExamples);
        foreach (var example in examples)
        {
            try
            {
                foreach (var (name, png) in FeaturePictures.Render(example.Source))
                {
                    pictures.Add(($"{_data.Classes[example.Label]}: {name}", png));
                }
            }
            catch (ImageDecodeException)
            {
                // An unreadable example only loses its pictures; the report goes on.
            }
        }

        return pictures;
    }
}
