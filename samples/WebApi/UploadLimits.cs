using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Models;

namespace Samples.WebApi;

/// <summary>What one <c>POST /predict</c> may cost: body size, form shape, time, and how many run at once.</summary>
/// <param name="MaxImageBytes">Largest image (raw body, or the file part of a form).</param>
/// <param name="MaxActive">Requests reading their body or predicting at once; bounds memory to about this many images.</param>
/// <param name="MaxQueued">Requests waiting for a slot; one more gets 503 at once.</param>
/// <param name="Timeout">Whole-request bound (waiting, upload, prediction); a slower request gets 408 (503 while still queued).</param>
/// <param name="MaxFormParts">Form parts read while looking for the file; a form with more before it gets 400.</param>
public sealed record UploadLimits(long MaxImageBytes, int MaxActive, int MaxQueued, TimeSpan Timeout, int MaxFormParts)
{
    /// <summary>A multipart body's boundaries, part headers and small text fields on top of the image.</summary>
    public const long FormOverheadBytes = 64 * 1024;

    /// <summary>Headers of one form part: enough for Content-Disposition with a long file name and Content-Type.</summary>
    public const int MaxPartHeaderBytes = 4096;

    public const int MaxPartHeaderCount = 8;

    /// <summary>A text field before the file is skipped, up to this size.</summary>
    public const int MaxTextFieldBytes = 16 * 1024;

    /// <summary>RFC 2046 caps a multipart boundary at 70 characters.</summary>
    public const int MaxBoundaryLength = 70;

    /// <summary>What Kestrel lets any request body be.</summary>
    public long MaxRequestBodyBytes => MaxImageBytes + FormOverheadBytes;

    /// <summary>The limits from configuration section <c>Predict</c>; defaults where unset.</summary>
    /// <exception cref="WorkbenchException">A value is out of range.</exception>
    public static UploadLimits From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Predict");
        return new UploadLimits(
            Read(section, "MaxImageBytes", 20L * 1024 * 1024, 1024, 256L * 1024 * 1024),
            (int)Read(section, "MaxActive", Environment.ProcessorCount, 1, 1024),
            (int)Read(section, "MaxQueued", 4 * Environment.ProcessorCount, 0, 100_000),
            TimeSpan.FromSeconds(Read(section, "TimeoutSeconds", 30, 1, 3600)),
            (int)Read(section, "MaxFormParts", 8, 1, 1000));
    }

    private static long Read(IConfigurationSection section, string key, long fallback, long min, long max)
    {
        var text = section[key];
        if (text is null)
        {
            return fallback;
        }

        if (!long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new WorkbenchException($"Predict:{key} must be a whole number from {min} to {max}, got '{text}'");
        }

        return value;
    }
}

/// <summary>The model path checked before <see cref="ImageWorkbench.Runtime.Models.ImageClassifier.Load"/> opens it.</summary>
public static class ModelFile
{
    /// <summary>Returns <paramref name="path"/> when it names a non-empty regular file; otherwise throws naming it.</summary>
    /// <remarks>A FIFO, a device or a /proc file reports length 0: refusing those here means opening the model can never block or read forever.</remarks>
    public static string Check(string path)
    {
        if (System.IO.Directory.Exists(path))
        {
            throw new WorkbenchException($"Model:Path '{path}' is a folder, not a model package");
        }

        // A symbolic link is judged by what it finally points to (a link's own length is that of its target's name).
        // (Resolved from the full path: a relative link path resolves its relative target against the wrong folder.)
        var file = new FileInfo(Path.GetFullPath(path));
        if (file.LinkTarget is not null && File.ResolveLinkTarget(file.FullName, returnFinalTarget: true) is FileInfo target)
        {
            file = target;
        }

        if (System.IO.Directory.Exists(file.FullName))
        {
            throw new WorkbenchException($"Model:Path '{path}' is a folder, not a model package");
        }

        if (!file.Exists)
        {
            throw new WorkbenchException($"Model:Path '{path}' does not exist");
        }

        if (file.Length == 0)
        {
            throw new WorkbenchException($"Model:Path '{path}' is empty or not a regular file");
        }

        return path;
    }
}
