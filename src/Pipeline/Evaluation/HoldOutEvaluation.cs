using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;

namespace ImageWorkbench.Pipeline.Evaluation;

/// <summary>Images of a data class the model does not know: counted and named, never silently dropped.</summary>
public sealed record UnknownClassImages(string Class, int Count);

/// <summary>A model's metrics on a data set matched to it by class name.</summary>
/// <param name="Metadata">The package's metadata (its classes in score order).</param>
/// <param name="Metrics">Over the images of the model's classes; per-class figures have support 0 for classes absent from the data.</param>
/// <param name="Unknown">Images of data classes the model does not know, per class; not in the metrics.</param>
public sealed record HoldOutResult(ModelMetadata Metadata, ClassificationMetrics Metrics, IReadOnlyList<UnknownClassImages> Unknown)
{
    /// <summary>The model's classes that have images in the data, in the model's order.</summary>
    public IReadOnlyList<ClassMetrics> Present => [.. Metrics.PerClass.Where(c => c.Support > 0)];
}

/// <summary>
/// Evaluates a model package on data whose classes are matched to the model's by name, not by position: the data
/// may hold a subset of the model's classes (metrics over those present) and classes the model does not know
/// (reported). A data class matches a model class of the same name, or one whose folder-safe name
/// (<see cref="ClassFolderNames.ToFolderName"/>) it is, so <c>T-shirt_top/</c> is <c>T-shirt/top</c> even without the map file.
/// </summary>
public static class HoldOutEvaluation
{
    /// <summary>For each data class, the index of the model class it is, or null when the model does not know it.</summary>
    public static IReadOnlyList<int?> MatchClasses(IReadOnlyList<string> modelClasses, IReadOnlyList<string> dataClasses)
    {
        ArgumentNullException.ThrowIfNull(modelClasses);
        ArgumentNullException.ThrowIfNull(dataClasses);
        var exact = new Dictionary<string, int>(StringComparer.Ordinal);
        var byFolder = new Dictionary<string, int?>(StringComparer.Ordinal);
        for (var i = 0; i < modelClasses.Count; i++)
        {
            exact[modelClasses[i]] = i;
            var folder = ClassFolderNames.ToFolderName(modelClasses[i]);
            byFolder[folder] = byFolder.ContainsKey(folder) ? null : i; // two classes with one folder name: ambiguous, no match
        }

        return [.. dataClasses.Select(c => exact.TryGetValue(c, out var i) ? i : byFolder.GetValueOrDefault(c))];
    }

    public static HoldOutResult Evaluate(string modelPath, ImageDataset data, IReadOnlyList<LabeledImage> images, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(images);
        var ml = new MLContext(0);
        var package = ModelPackage.Load(ml, modelPath);
        var classes = package.Metadata.Classes;
        var match = MatchClasses(classes, data.Classes);
        if (match.All(m => m is null))
        {
            throw new WorkbenchException($"{modelPath}: none of the data's classes ({string.Join(", ", data.Classes)}) is one of the model's ({string.Join(", ", classes)})");
        }

        var known = new List<LabeledImage>(images.Count);
        var unknown = new int[data.Classes.Count];
        foreach (var image in images)
        {
            if (match[image.Label] is { } modelLabel)
            {
                known.Add(image with { Label = modelLabel });
            }
            else
            {
                unknown[image.Label]++;
            }
        }

        if (known.Count == 0)
        {
            throw new WorkbenchException($"{data.Location}: no image to evaluate belongs to a class the model knows");
        }

        var metrics = Evaluator.Evaluate(ml, package.Model, package.Metadata.Input, classes, known, warnings, progress, cancellationToken);
        var unknownClasses = unknown.Select((count, c) => new UnknownClassImages(data.Classes[c], count)).Where(u => u.Count > 0).ToList();
        return new HoldOutResult(package.Metadata, metrics, unknownClasses);
    }
}
