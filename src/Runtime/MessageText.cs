namespace ImageWorkbench.Runtime;

/// <summary>How error messages show a value read from a file: every part of the runtime quotes it the same way.</summary>
internal static class MessageText
{
    /// <summary>The value in single quotes, control characters escaped (a newline cannot forge an output line), cut at 80 characters.</summary>
    internal static string Quoted(string? value) =>
        value is null ? "null" : "'" + string.Concat(value.Take(80).Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())) + (value.Length > 80 ? "...'" : "'");
}
