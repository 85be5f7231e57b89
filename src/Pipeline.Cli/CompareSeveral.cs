using ImageWorkbench.Pipeline.Comparison;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Reports;
using ImageWorkbench.Pipeline.Results;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary><c>compare</c> over several data sets (<c>--data A,B</c>, or no <c>--data</c>: every embedded set): one report.</summary>
internal static partial class Commands
{
    /// <summary>
    /// The data sets <c>compare</c> runs on. No <c>--data</c>: every embedded set (with <c>--models</c>, the default one only, since a
    /// package knows one data set's classes). A value that is an existing path is one data set, commas and all; otherwise a
    /// comma-separated list. Each entry may name an embedded set (<see cref="EmbeddedDataset.Resolve"/>).
    /// </summary>
    private static IReadOnlyList<string> CompareDataPaths(string? data, bool models)
    {
        if (data is null)
        {
            return models ? [EmbeddedDataset.Locate()] : EmbeddedDataset.LocateAll();
        }

        if (Path.Exists(data) || !data.Contains(',', StringComparison.Ordinal))
        {
            return [EmbeddedDataset.Resolve(data)];
        }

        var entries = data.Split(',');
        if (entries.Any(e => e.Length == 0))
        {
            throw new UsageException($"--data has an empty entry in '{TerminalText.Escape(data)}'");
        }

        var paths = entries.Select(e => Path.GetFullPath(EmbeddedDataset.Resolve(e))).ToArray();
        if (paths.Distinct(StringComparer.Ordinal).Count() < paths.Length)
        {
            throw new UsageException($"--data names one data set twice in '{TerminalText.Escape(data)}'");
        }

        return models ? throw new UsageException("--data: compare --models evaluates the packages on one data set; give one") : paths;
    }

    private static int CompareSeveral(CommandLine line, TextWriter output, ComparisonOptions options, IReadOnlyList<string> dataPaths, DatasetOptions dataOptions, CancellationToken cancellationToken)
    {
        var outDir = options.OutputFolder;
        if (line.Given(Opt.CompareSection))
        {
            line.Refuse([Opt.CompareSection], "names one block; with several data sets --readme updates each data set's own block, results-<data set name>");
        }

        foreach (var path in dataPaths)
        {
            OutputTarget.CheckNotInside(outDir, path, "data set");
        }

        CheckReadmeTarget(line, outDir);
        using var staged = StagedFolder.Begin(outDir);
        options = options with { StagedOutput = staged };
        var warnings = NewWarnings();
        var datasets = dataPaths.Select(path => LoadData(new DataRequest(path, dataOptions), warnings)).ToArray();
        var readme = line.Get(Opt.Readme);
        if (readme is not null)
        {
            foreach (var data in datasets)
            {
                GeneratedSection.Check(readme, "results-" + data.Name); // fail now, not after a run of many minutes
            }
        }

        var progress = new ConsoleProgress();
        var result = MultiComparisonRunner.TrainAndCompare(datasets, options, warnings, CommandText(line), progress, cancellationToken);
        progress.EndLine();
        var files = MultiComparisonReport.Write(result, staged, [.. datasets.Select(d => new DatasetReportImages(d))]);
        if (readme is not null)
        {
            staged.CheckNotStaged(readme, ReadmeCollision);
        }

        staged.Commit();
        output.Write(MatrixText(result));
        foreach (var data in result.Datasets)
        {
            output.WriteLine();
            output.WriteLine($"{TerminalText.Escape(data.Dataset.Name)}:");
            output.Write(ResultsTable.Markdown(data));
            output.WriteLine();
            output.WriteLine(ReportAnalysis.TradeOff(data).Sentence);
        }

        output.WriteLine($"wrote {files.Count} files to {TerminalText.Escape(Path.GetFullPath(outDir))} (report.html, report.md, report.json)");
        if (readme is not null)
        {
            foreach (var data in result.Datasets)
            {
                GeneratedSection.Replace(readme, "results-" + data.Dataset.Name, ReadmeBlock(data));
                output.WriteLine($"updated the 'results-{TerminalText.Escape(data.Dataset.Name)}' section of {readme}");
            }
        }

        return ExitCodes.Ok;
    }

    /// <summary>The matrix as printed: one line per data set and pipeline.</summary>
    private static string MatrixText(MultiComparisonResult result) => string.Concat(MultiComparisonReport.Matrix(result).Select(e =>
        $"{TerminalText.Escape(e.Dataset)} / {TerminalText.Escape(e.Label)}: accuracy {Figures.Ratio(e.Accuracy)} (95 % {Figures.Ratio(e.AccuracyCi95[0])}-{Figures.Ratio(e.AccuracyCi95[1])}, {Figures.Count(e.TestCount)} test images)\n"));

    /// <summary>A <c>compare --readme</c> target: a regular file (or none) that is none of the files compare writes into <paramref name="outDir"/>.</summary>
    private static void CheckReadmeTarget(CommandLine line, string outDir)
    {
        if (line.Get(Opt.Readme) is { } readmeTarget)
        {
            OutputTarget.CheckFile(readmeTarget);
            foreach (var reportFile in new[] { ComparisonReport.MarkdownFile, ComparisonReport.HtmlFile, ComparisonReport.JsonFile })
            {
                OutputTarget.CheckNotInside(readmeTarget, Path.Combine(outDir, reportFile), ReadmeCollision); // fail now, not after the run
            }
        }
    }

    /// <summary>What <c>compare --readme</c> puts in a data set's generated block: the results table and the verdict.</summary>
    private static string ReadmeBlock(ComparisonResult result) =>
        ResultsTable.Markdown(result) + "\n" + StudyTables.Markdown(result) + ReportAnalysis.TradeOff(result).Sentence + "\n";
}
