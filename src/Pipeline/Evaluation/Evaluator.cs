using Microsoft.ML;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Evaluation;

/// <summary>Evaluates a model (the whole saved chain, featurizer included) on a list of labelled images.</summary>
public static class Evaluator
{
    /// <summary>
    /// Loads a package and evaluates it on <paramref name="images"/>; refuses data whose classes differ from the model's.
    /// </summary>
    public static (ModelMetadata Metadata, ClassificationMetrics Metrics) EvaluatePackage(string modelPath, ImageDataset data, IReadOnlyList<LabeledImage> images, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        var ml = new MLContext(0);
        var package = ModelPackage.Load(ml, modelPath);
        if (!package.Metadata.Classes.SequenceEqual(data.Classes, StringComparer.Ordinal))
        {
            throw new WorkbenchException($"{modelPath}: the model's classes ({string.Join(", ", package.Metadata.Classes)}) differ from the data's ({string.Join(", ", data.Classes)})");
        }

        var metrics = Evaluate(ml, package.Model, package.Metadata.Input, package.Metadata.Classes, images, warnings, progress, cancellationToken);
        return (package.Metadata, metrics);
    }

    public static ClassificationMetrics Evaluate(MLContext ml, ITransformer model, ModelInput input, IReadOnlyList<string> classes, IReadOnlyList<LabeledImage> images, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        var done = 0;
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var view = ImageRows.Create(ml, images, input, classes.Count, warnings, cancellationToken);
        var (labels, scores, indices) = ModelScoring.Collect(model.Transform(view), cancellationToken, scoredRows =>
        {
            done = scoredRows;
            if (progress is not null && done % 32 == 0)
            {
                progress.Report(new TrainingProgress("evaluating", done, images.Count, done / stopwatch.Elapsed.TotalSeconds));
            }
        });
        progress?.Report(new TrainingProgress("evaluating", done, images.Count, done / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9)));
        var names = indices.Select(i => images[i].Source.Name).ToList();
        return ClassificationMetrics.Compute(classes, labels, scores, names);
    }
}
