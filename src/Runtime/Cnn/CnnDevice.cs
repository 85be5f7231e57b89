using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>
/// Where the CNN runs: the CPU (the default, always available) or a CUDA GPU through ONNX Runtime's CUDA execution
/// provider (opt-in, <c>--device cuda[:N]</c>). The CPU-only build carries no CUDA provider: asking for one there,
/// or on a machine without a GPU and its driver, fails with one line that says so, before any work.
/// </summary>
/// <param name="CudaDeviceId">The CUDA device index; null for the CPU.</param>
public sealed record CnnDevice(int? CudaDeviceId)
{
    public static CnnDevice Cpu { get; } = new((int?)null);

    /// <summary><c>cpu</c>, <c>cuda</c> (device 0) or <c>cuda:N</c>; null with the reason otherwise.</summary>
    public static CnnDevice? TryParse(string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        error = null;
        if (t == "cpu")
        {
            return Cpu;
        }

        if (t == "cuda")
        {
            return new CnnDevice(0);
        }

        if (t.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(t[5..], NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id < 64)
        {
            return new CnnDevice(id);
        }

        error = $"must be cpu, cuda or cuda:N (N a device index from 0 to 63), got '{text}'";
        return null;
    }

    /// <summary>Adds the execution provider to <paramref name="options"/> (nothing for the CPU); a clear <see cref="WorkbenchException"/> when it cannot be had.</summary>
    internal void AppendTo(SessionOptions options)
    {
        if (CudaDeviceId is not { } id)
        {
            return;
        }

        try
        {
            options.AppendExecutionProvider_CUDA(id);
        }
        catch (EntryPointNotFoundException ex)
        {
            // The CPU-only ONNX Runtime (the default build) has no CUDA entry point at all.
            throw new WorkbenchException($"--device {this}: this build runs the CNN on the CPU only (leave out --device); a GPU build is made with -p:WorkbenchGpu=true", ex);
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException)
        {
            throw new WorkbenchException(
                $"--device {this}: ONNX Runtime's CUDA execution provider could not be loaded ({FirstLine(ex.Message)}); it needs an NVIDIA GPU with its driver and the CUDA 13 libraries (cuBLAS, cuDNN); leave out --device to run on the CPU", ex);
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    public override string ToString() => CudaDeviceId is { } id ? string.Create(CultureInfo.InvariantCulture, $"cuda:{id}") : "cpu";
}
