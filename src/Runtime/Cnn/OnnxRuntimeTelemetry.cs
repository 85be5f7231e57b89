using System.Runtime.InteropServices;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>
/// Keeps ONNX Runtime's built-in usage telemetry off. Since 1.29 the Linux and macOS builds of ONNX Runtime start a
/// telemetry uploader when the runtime initialises: every CNN run left a session file <c>$TMPDIR/.ses</c> behind and
/// wrote a device id and an event database under <c>~/.cache/Microsoft/DeveloperTools/.onnxruntime/</c>: writes
/// outside anything the user named, and events meant for a remote collector. ONNX Runtime reads the switch
/// <c>ORT_DISABLE_TELEMETRY</c> from the native environment when it initialises, so it is set there (the managed
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach native code on Unix) before the
/// first call into ONNX Runtime. A value the user set already is left as it is.
/// </summary>
internal static class OnnxRuntimeTelemetry
{
    public const string Switch = "ORT_DISABLE_TELEMETRY";

    private static readonly Lazy<bool> TurnedOff = new(SetSwitch, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Call before anything that may load ONNX Runtime; only the first call does work.</summary>
    public static void TurnOff() => _ = TurnedOff.Value;

    private static bool SetSwitch()
    {
        if (OperatingSystem.IsWindows() || Environment.GetEnvironmentVariable(Switch) is not null)
        {
            // Windows builds log through the platform's own consented channel and read no such variable.
            return false;
        }

        try
        {
            return Native.setenv(Switch, "1", overwrite: 0) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // a libc without setenv: nothing more can be done from here
        }
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Interoperability", "SYSLIB1054", Justification = "LibraryImport needs unsafe code, which the build keeps off; UTF-8 strings marshal without it.")]
        public static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
    }
}
