using System.Diagnostics;
using System.Globalization;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Export;
using ImageWorkbench.Pipeline.Measuring;
using ImageWorkbench.Pipeline.Predicting;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Benchmarking;

/// <summary>
/// The rate <c>predict --model m.zip FOLDER --out preds.csv</c> reaches, measured through the same code
/// (<see cref="ImageInputs.Expand"/> and <see cref="PredictionRows.Write"/>): the folder is listed in name order, image
/// files are read from disk, decoded, predicted on every core and written as CSV rows in input order. The batch figure
/// of <see cref="PredictionTimer"/> predicts images already held in memory (IDX pixels need no decoding), so it cannot
/// say what a folder of PNG or JPEG files costs; this one can, and a <c>predict --out</c> run over a large folder is
/// compared with it.
/// </summary>
public static class FilePredictionProbe
{
    /// <summary>
    /// Writes <paramref name="count"/> files into <paramref name="folder"/> (the test images in turn: IDX pixels as
    /// PNG, image files copied as they are), predicts them once to warm up, then repeats whole passes until
    /// <paramref name="minSeconds"/> have passed. Returns the files written and the images per second.
    /// </summary>
    public static (int Files, double ImagesPerSecond) Measure(
        ImageClassifier classifier, IReadOnlyList<LabeledImage> images, int count, string folder, double minSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0 || count <= 0)
        {
            return (0, double.NaN);
        }

        var files = Path.Combine(folder, "files");
        Directory.CreateDirectory(files);
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            DatasetExporter.WriteImage(images[i % images.Count].Source, Path.Combine(files, i.ToString("D7", CultureInfo.InvariantCulture)));
        }

        // The folder itself, as `predict` gets it: listing and ordering the files is part of the work measured.
        string[] inputs = [files];
        var csv = Path.Combine(folder, "predictions.csv");
        var options = new PredictionRowOptions();
        var written = PredictionRows.Write(classifier, ImageInputs.Expand(inputs), csv, options, progress: null, cancellationToken).Images;

        long predicted = 0;
        var watch = Stopwatch.StartNew();
        do
        {
            predicted += PredictionRows.Write(classifier, ImageInputs.Expand(inputs), csv, options, progress: null, cancellationToken).Images;
        }
        while (watch.Elapsed.TotalSeconds < minSeconds);

        return ((int)written, predicted / watch.Elapsed.TotalSeconds);
    }
}
