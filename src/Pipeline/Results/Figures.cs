using System.Globalization;

namespace ImageWorkbench.Pipeline.Results;

/// <summary>
/// The one formatting vocabulary of every figure the workbench prints (comparison report, README tables, bench table):
/// invariant culture, about three significant digits, sizes in decimal units (1 MB = 1,000,000 bytes, 1 kB = 1,000 bytes),
/// and <see cref="Missing"/> for a figure that was not measured. Functions with a <c>withUnit</c> switch print a bare
/// number for table columns whose header names the unit.
/// </summary>
public static class Figures
{
    /// <summary>The one token for a figure that was not measured.</summary>
    public const string Missing = "–";

    /// <summary>The unit of <see cref="Megabytes"/> for table headers.</summary>
    public const string MegabyteUnit = "MB";

    /// <summary>The unit of <see cref="Kilobytes"/> for table headers.</summary>
    public const string KilobyteUnit = "kB";

    /// <summary>What the size units mean, for notes under tables.</summary>
    public const string SizeUnitNote = "MB = 1,000,000 bytes";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static bool IsMeasured(double value) => double.IsFinite(value);

    /// <summary>A cost figure, or NaN when it was not measured (non-finite or not positive: a cost of 0 means "not taken").</summary>
    public static double Cost(double value) => double.IsFinite(value) && value > 0 ? value : double.NaN;

    public static string Number(double value, string format) => IsMeasured(value) ? value.ToString(format, Inv) : Missing;

    /// <summary>A count, without thousands separators (as in prose: "12 test images").</summary>
    public static string Count(long value) => value.ToString(Inv);

    /// <summary>A count with thousands separators, for large ones ("60,000 images").</summary>
    public static string LargeCount(long value) => value.ToString("#,0", Inv);

    /// <summary>Accuracy-like figures in 0..1, three decimals.</summary>
    public static string Ratio(double value) => Number(value, "0.000");

    /// <summary>Log-loss, three decimals.</summary>
    public static string LogLoss(double value) => Number(value, "0.000");

    /// <summary>A fraction in 0..1 as a whole percentage ("75%").</summary>
    public static string Percent(double value) => IsMeasured(value) ? (value * 100).ToString("0", Inv) + "%" : Missing;

    /// <summary>The difference of two fractions in percentage points, one decimal ("25.0").</summary>
    public static string Points(double difference) => Number(difference * 100, "0.0");

    /// <summary>A p-value, three decimals, or "&lt; 0.001" below that.</summary>
    public static string PValue(double p) => !IsMeasured(p) ? Missing : p < 0.001 ? "< 0.001" : p.ToString("0.000", Inv);

    /// <summary>A 95 % interval of fractions, three decimals: "[0.816, 0.879]".</summary>
    public static string Interval((double Low, double High) interval) =>
        IsMeasured(interval.Low) && IsMeasured(interval.High) ? $"[{Ratio(interval.Low)}, {Ratio(interval.High)}]" : Missing;

    /// <summary>A 95 % interval of signed differences: "[−0.020, +0.120]".</summary>
    public static string SignedInterval((double Low, double High) interval) =>
        IsMeasured(interval.Low) && IsMeasured(interval.High) ? $"[{Signed(interval.Low)}, {Signed(interval.High)}]" : Missing;

    /// <summary>A signed difference of two fractions: "+0.125", "−0.125" or "±0.000".</summary>
    public static string Signed(double value) =>
        IsMeasured(value) ? (value > 0 ? "+" : value < 0 ? "−" : "±") + Math.Abs(value).ToString("0.000", Inv) : Missing;

    /// <summary>How many times larger one figure is than another ("183x", "5.0x").</summary>
    public static string Times(double ratio) => IsMeasured(ratio) ? ratio.ToString(ratio >= 10 ? "0" : "0.0", Inv) + "x" : Missing;

    /// <summary>Milliseconds with about three significant digits.</summary>
    public static string Milliseconds(double value, bool withUnit = true)
    {
        if (!IsMeasured(value))
        {
            return Missing;
        }

        var a = Math.Abs(value);
        var format = a >= 100 ? "0" : a >= 10 ? "0.0" : a >= 1 ? "0.00" : a >= 0.01 ? "0.000" : "0.0000";
        return value.ToString(format, Inv) + (withUnit ? " ms" : string.Empty);
    }

    /// <summary>Seconds with about three significant digits.</summary>
    public static string Seconds(double value, bool withUnit = true)
    {
        if (!IsMeasured(value))
        {
            return Missing;
        }

        var a = Math.Abs(value);
        var format = a >= 100 ? "0" : a >= 10 ? "0.0" : "0.00";
        return value.ToString(format, Inv) + (withUnit ? " s" : string.Empty);
    }

    /// <summary>A wall time: seconds below a minute, otherwise "12 min 05 s" (or "1 h 02 min").</summary>
    public static string Duration(double seconds)
    {
        if (!IsMeasured(seconds) || seconds < 0)
        {
            return Missing;
        }

        if (seconds < 60)
        {
            return Seconds(seconds);
        }

        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        return t.TotalHours >= 1
            ? ((int)t.TotalHours).ToString(Inv) + " h " + t.Minutes.ToString("00", Inv) + " min"
            : t.Minutes.ToString(Inv) + " min " + t.Seconds.ToString("00", Inv) + " s";
    }

    /// <summary>A throughput (images per second) with about three significant digits, as a bare number (headers say "images/s").</summary>
    public static string Rate(double value)
    {
        if (!IsMeasured(value))
        {
            return Missing;
        }

        var a = Math.Abs(value);
        var format = a >= 100 ? "#,0" : a >= 10 ? "0.0" : "0.00";
        return value.ToString(format, Inv);
    }

    /// <summary>A size with its unit: MB (1,000,000 bytes), or kB below 0.1 MB.</summary>
    public static string Bytes(double bytes)
    {
        if (!IsMeasured(bytes) || bytes < 0)
        {
            return Missing;
        }

        return bytes < 100_000 ? Kilobytes(bytes) + " " + KilobyteUnit : Megabytes(bytes) + " " + MegabyteUnit;
    }

    /// <summary>A size in MB (1,000,000 bytes) as a bare number with about three significant digits.</summary>
    public static string Megabytes(double bytes)
    {
        if (!IsMeasured(bytes) || bytes < 0)
        {
            return Missing;
        }

        var mb = bytes / 1_000_000;
        return mb.ToString(mb >= 100 ? "#,0" : mb >= 10 ? "0.0" : mb >= 1 ? "0.00" : mb >= 0.1 ? "0.000" : "0.0000", Inv);
    }

    /// <summary>A size in kB (1,000 bytes) as a bare number, one decimal.</summary>
    public static string Kilobytes(double bytes) => IsMeasured(bytes) && bytes >= 0 ? (bytes / 1000).ToString("0.0", Inv) : Missing;
}
