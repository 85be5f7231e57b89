using System.Globalization;
using Microsoft.ML;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>
/// Where ML.NET's ONNX transformer may write its copy of the network, for model packages written before the CNN had its
/// own transform (<see cref="CnnTransformsCatalog.ExtractCnnFeatures"/>), whose chains hold ML.NET's OnnxTransformer
/// with the network inside. ML.NET 5 hands ONNX Runtime a file, never bytes: every load of such a chain writes the
/// whole network (64 MB for ResNet18) to <see cref="MLContext.TempFilePath"/>, and deletes it only when the
/// transformer is disposed, which nothing does before the process ends; a killed process never does. So each process
/// gets its own folder (<c>$TMPDIR/pipeline-onnx-PID-RANDOM</c>, owner-only), deleted when the process exits; folders
/// of processes that no longer run (killed ones) are deleted when the next process creates its own.
/// </summary>
/// <remarks>
/// A load needs the file only while ONNX Runtime reads it, so <see cref="ForLoad"/> deletes it right after: a
/// killed <c>predict</c> or <c>evaluate</c> leaves nothing. Nothing fits an ONNX transformer any more.
/// </remarks>
internal static class OnnxTempFolder
{
    private const string Prefix = "pipeline-onnx-";

    private static readonly Lazy<string> ProcessFolder = new(CreateProcessFolder, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Points <paramref name="ml"/> at a fresh folder for one load; disposing restores it and deletes the folder.</summary>
    public static LoadScope ForLoad(MLContext ml)
    {
        OnnxRuntimeTelemetry.TurnOff();
        return new(ml);
    }

    private static string CreateProcessFolder()
    {
        var root = Path.GetTempPath();
        DeleteFoldersOfEndedProcesses(root);
        var folder = Path.Combine(root, $"{Prefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            // owner-only: the network of a private model is nobody else's business
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(folder);
        return folder;
    }

    /// <summary>Deletes <c>pipeline-onnx-PID-*</c> folders whose process is gone (killed before its exit handler ran).</summary>
    internal static void DeleteFoldersOfEndedProcesses(string root)
    {
        string[] folders;
        try
        {
            folders = Directory.GetDirectories(root, Prefix + "*");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var folder in folders)
        {
            var rest = Path.GetFileName(folder)[Prefix.Length..];
            var dash = rest.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && int.TryParse(rest.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !ProcessLiveness.IsRunning(pid))
            {
                TryDelete(folder);
            }
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // best effort: another user's folder, or (Windows) a file still open; the next run tries again
        }
    }

    /// <summary>One load's folder; <see cref="Dispose"/> deletes it (the network is in ONNX Runtime's memory by then).</summary>
    internal sealed class LoadScope : IDisposable
    {
        private readonly MLContext _ml;
        private readonly string _previous;

        public LoadScope(MLContext ml)
        {
            _ml = ml;
            _previous = ml.TempFilePath;
            Folder = Path.Combine(ProcessFolder.Value, Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Folder);
            ml.TempFilePath = Folder;
        }

        public string Folder { get; }

        public void Dispose()
        {
            _ml.TempFilePath = _previous;
            TryDelete(Folder);
        }
    }
}
