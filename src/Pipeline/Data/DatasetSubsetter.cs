using System.Text;
using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>What <see cref="DatasetSubsetter.WriteIdxSubset"/> wrote.</summary>
public sealed record IdxSubsetSummary(string Folder, int TrainCount, int TestCount, IReadOnlyList<string> Files);

/// <summary>Writes small, stratified, reproducible subsets of a data set (e.g. the bundled <c>fashion-mnist-mini</c>).</summary>
public static class DatasetSubsetter
{
    /// <summary>Side of the grey images written when the source is not already single-channel raw pixels.</summary>
    public const int DefaultSide = 28;

    private const string LabelsFile = "labels.txt";

    /// <summary>
    /// Picks <paramref name="trainPerClass"/> train and <paramref name="testPerClass"/> test images of every class
    /// (all of them when a class has fewer), at random with <paramref name="seed"/>, keeping the source order, and
    /// writes them to <paramref name="outputFolder"/> as gzip-compressed IDX files with the MNIST file names
    /// (<c>train-images-idx3-ubyte.gz</c>, <c>train-labels-idx1-ubyte.gz</c>, <c>t10k-*</c>) plus <c>labels.txt</c>
    /// (class names, one a line). The selection equals what <see cref="DatasetLoader"/> keeps with the same seed and
    /// <see cref="DatasetOptions.MaxTrainPerClass"/>/<see cref="DatasetOptions.MaxTestPerClass"/>. Single-channel raw
    /// images (IDX sources) are copied byte for byte; other images are decoded to 28x28 grey (letterboxed).
    /// </summary>
    public static IdxSubsetSummary WriteIdxSubset(ImageDataset source, string outputFolder, int trainPerClass, int testPerClass, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(outputFolder);
        ArgumentOutOfRangeException.ThrowIfLessThan(trainPerClass, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(testPerClass, 1);
        if (source.Classes.Count > 256)
        {
            throw new DatasetException($"{source.Location}: {source.Classes.Count} classes do not fit IDX byte labels (at most 256)");
        }

        List<LabeledImage> train = DatasetSplitter.Subsample(source.Train, source.Classes, trainPerClass, seed, "train");
        List<LabeledImage> test = DatasetSplitter.Subsample(source.Test, source.Classes, testPerClass, seed, "test");

        ImageShape shape = source.NativeShape is { Channels: 1 } native ? native : new ImageShape(DefaultSide, DefaultSide, 1);

        // The whole set is staged and moved in at the end: a bad image or a full disk part-way leaves the previous
        // subset as it was, never train files of one subset beside test files of another.
        using var staged = StagedFolder.Begin(outputFolder);
        var files = new List<string>();
        void Write(string prefix, List<LabeledImage> images)
        {
            string imagesName = $"{prefix}-images-idx3-ubyte.gz";
            string labelsName = $"{prefix}-labels-idx1-ubyte.gz";
            IdxWriter.WriteImages(staged.Stage(imagesName), images.Select(i => ToGreyBytes(i.Source, shape, cancellationToken)).ToList(), shape.Height, shape.Width);
            IdxWriter.WriteLabels(staged.Stage(labelsName), images.Select(i => (byte)i.Label).ToArray());
            files.Add(staged.Final(imagesName));
            files.Add(staged.Final(labelsName));
        }

        Write("train", train);
        Write("t10k", test);

        var text = new StringBuilder();
        foreach (string name in source.Classes)
        {
            text.Append(name).Append('\n');
        }

        AtomicFile.WriteAllText(staged.Stage(LabelsFile), text.ToString());
        files.Add(staged.Final(LabelsFile));
        cancellationToken.ThrowIfCancellationRequested();
        staged.Commit();
        return new IdxSubsetSummary(staged.Folder, train.Count, test.Count, files);
    }

    private static ReadOnlyMemory<byte> ToGreyBytes(ImageSource image, ImageShape shape, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested(); // Ctrl+C: the staged files are dropped, the folder stays as it was
        if (image.Kind == ImageSourceKind.RawPixels && image.RawChannels == 1 && image.RawWidth == shape.Width && image.RawHeight == shape.Height)
        {
            return image.Bytes;
        }

        float[] pixels = new float[shape.Length];
        ImageDecoder.Default.Decode(image, shape, ResizeMode.Pad, pixels);
        byte[] bytes = new byte[shape.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)Math.Clamp(MathF.Round(pixels[i] * 255f), 0, 255);
        }

        return bytes;
    }
}
