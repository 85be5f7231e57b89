using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Export;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary><c>dataset export</c>, and how <c>evaluate</c> reports the match between the data's classes and the model's.</summary>
internal static partial class Commands
{
    private const string ExportDescription =
        "Writes a data set as class folders of images (IDX images as PNG), e.g. a hold-out folder for evaluate --all or images for predict. "
        + "Class names that cannot be folder names (T-shirt/top) get a safe folder name (T-shirt_top) and class-names.tsv maps them back when the folder is read.";

    private static int DatasetExport(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        var outDir = line.Require(Opt.ExportOut);
        var dataRequest = DataRequestFrom(line);
        OutputTarget.CheckFolder(outDir);
        OutputTarget.CheckNotInside(outDir, DataPath(dataRequest), "data set");
        var warnings = NewWarnings();
        var data = LoadData(dataRequest, warnings);
        var split = line.Get(Opt.ExportSplit);
        var total = split switch { ExportSplit.Test => data.Test.Count, ExportSplit.Train => data.Train.Count, _ => data.Train.Count + data.Test.Count };
        var console = new ConsoleProgress();
        var summary = DatasetExporter.Write(data, outDir, split, new SyncProgress<int>(done => console.Report(new TrainingProgress("exporting", done, total, 0))), cancellationToken);
        console.EndLine();
        output.WriteLine($"wrote {summary.Images:N0} images of {summary.Classes.Count} classes to {TerminalText.Escape(summary.Folder)}");
        if (summary.Renamed)
        {
            output.WriteLine($"  some class names are not folder names: {ClassFolderNames.MapFile} maps the folders back to them");
        }

        return ExitCodes.Ok;
    }

    private static void WriteClassMatch(HoldOutResult holdOut, TextWriter output)
    {
        var classes = holdOut.Metadata.Classes.Count;
        if (holdOut.Present.Count < classes)
        {
            output.WriteLine($"classes:  {holdOut.Present.Count} of the model's {classes} have images here; metrics are over those");
        }

        foreach (var unknown in holdOut.Unknown)
        {
            output.WriteLine($"unknown:  {unknown.Count:N0} images of class '{TerminalText.Escape(unknown.Class)}', which the model does not know (not in the metrics)");
        }
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (<see cref="Progress{T}"/> posts to the thread pool).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
