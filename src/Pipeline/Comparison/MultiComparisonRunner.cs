using System.Diagnostics;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Pipeline.Results;

namespace ImageWorkbench.Pipeline.Comparison;

/// <summary>
/// Compares the pipelines on several data sets in one run (e.g. the default <c>compare</c>: a grey set where hand-crafted
/// features hold and a photo set where the CNN wins): <see cref="ComparisonRunner.TrainAndCompare"/> per data set, with
/// the same options and seed, each data set's models in a subfolder named by its key.
/// </summary>
public static class MultiComparisonRunner
{
    public static MultiComparisonResult TrainAndCompare(IReadOnlyList<ImageDataset> datasets, ComparisonOptions options, DataWarnings warnings, string command, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        ArgumentNullException.ThrowIfNull(options);
        if (datasets.Count == 0)
        {
            throw new ArgumentException("no data set to compare on", nameof(datasets));
        }

        var keys = DatasetKeys.For([.. datasets.Select(d => d.Name)]);
        var stopwatch = Stopwatch.StartNew();
        var results = new List<ComparisonResult>();
        for (var i = 0; i < datasets.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var named = progress is null ? null : new DatasetProgress(progress, $"{datasets[i].Name} ({i + 1}/{datasets.Count})");
            results.Add(ComparisonRunner.TrainAndCompare(datasets[i], options with { ModelSubfolder = keys[i] }, warnings, command, named, cancellationToken));
        }

        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return new MultiComparisonResult(results, keys, command, ComparisonRunner.MachineDescription(), DateTimeOffset.UtcNow, options.Seed, stopwatch.Elapsed.TotalSeconds, process.PeakWorkingSet64);
    }

    /// <summary>Names the data set in every stage shown, so a long run says which data set it is on.</summary>
    private sealed class DatasetProgress(IProgress<TrainingProgress> inner, string dataset) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => inner.Report(value with { Stage = $"{dataset}: {value.Stage}" });
    }
}
