namespace Pipeline;

/// <summary>Checks made before opening a file the user named.</summary>
internal static class FileChecks
{
    /// <summary>
    /// True when <paramref name="path"/> exists and reports 0 bytes: an empty file, or a named pipe or device (they
    /// report 0 bytes too, and opening a pipe blocks until a writer comes: a hang). Callers refuse such a path
    /// without opening it.
    /// </summary>
    public static bool IsEmpty(string path) => new FileInfo(path) is { Exists: true, Length: 0 };

    /// <summary>
    /// Why <paramref name="path"/> cannot be opened as <paramref name="what"/> (e.g. "an image file"), or null when it
    /// is a file. A folder gets its own answer: opening one reports "access denied", which sends users looking at permissions.
    /// </summary>
    public static string? WhyNotAFile(string path, string what) =>
        File.Exists(path) ? null : Directory.Exists(path) ? $"is a folder, not {what}" : "file not found";
}
