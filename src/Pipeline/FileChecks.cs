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
}
