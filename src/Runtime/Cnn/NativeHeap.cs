using System.Runtime.InteropServices;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>
/// Keeps the C heap from holding on to what building an ONNX Runtime session frees. Building a ResNet18 session parses
/// the 64 MB network and rewrites its weights (layout transforms, prepacking) through large temporary buffers. glibc
/// serves large blocks from its heap once its dynamic mmap threshold has grown, and keeps freed heap pages, so the
/// process stayed at the build's peak. Measured on the engine alone (resident MB, peak / after the build): default
/// 311-319 / 311; with <c>malloc_trim</c> after the build 319 / 141; also with blocks of 1 MiB and more mmapped during
/// the build (freed at once) 232-236 / 141.
/// </summary>
internal static class NativeHeap
{
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD in glibc's malloc.h

    /// <summary>
    /// Call before building sessions: blocks of 1 MiB and more are mmapped, so each goes back to the system when freed.
    /// Process-wide; <see cref="EndBuild"/> sets the threshold to glibc's own dynamic ceiling (32 MiB on 64-bit), where
    /// the default threshold ends up after a process has freed large blocks anyway.
    /// </summary>
    public static void BeginBuild() => Call(() => Native.mallopt(MmapThreshold, 1 << 20));

    /// <summary>Call after building sessions: restores a large-block threshold and hands free heap pages back.</summary>
    public static void EndBuild() => Call(() =>
    {
        _ = Native.mallopt(MmapThreshold, 32 << 20);
        _ = Native.malloc_trim(0);
    });

    /// <summary>Best effort: a no-op on Windows, macOS and C libraries without these glibc calls (musl).</summary>
    private static void Call(Action action)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            action();
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // not glibc: nothing to tune
        }
    }

    private static class Native
    {
        [DllImport("libc")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Interoperability", "SYSLIB1054", Justification = "LibraryImport needs unsafe code, which the build keeps off.")]
        public static extern int malloc_trim(nuint pad);

        [DllImport("libc")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Interoperability", "SYSLIB1054", Justification = "LibraryImport needs unsafe code, which the build keeps off.")]
        public static extern int mallopt(int param, int value);
    }
}
