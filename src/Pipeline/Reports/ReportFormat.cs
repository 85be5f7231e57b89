using System.Globalization;
using System.Text;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>Invariant-culture number formatting shared by the report writers.</summary>
internal static class ReportFormat
{
    public const string Missing = "–";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static bool IsMeasured(double value) => double.IsFinite(value);

    public static string Number(double value, string format) => IsMeasured(value) ? value.ToString(format, Inv) : Missing;

    public static string Int(long value) => value.ToString(Inv);

    /// <summary>Accuracy-like figures in 0..1, three decimals.</summary>
    public static string Ratio(double value) => Number(value, "0.000");

    /// <summary>Milliseconds with about three significant digits.</summary>
    public static string Milliseconds(double value)
    {
        if (!IsMeasured(value))
        {
            return Missing;
        }

        var a = Math.Abs(value);
        var format = a >= 100 ? "0" : a >= 10 ? "0.0" : a >= 1 ? "0.00" : a >= 0.01 ? "0.000" : "0.0000";
        return value.ToString(format, Inv) + " ms";
    }

    /// <summary>Seconds with about three significant digits.</summary>
    public static string Seconds(double value)
    {
        if (!IsMeasured(value))
        {
            return Missing;
        }

        var a = Math.Abs(value);
        var format = a >= 100 ? "0" : a >= 10 ? "0.0" : "0.00";
        return value.ToString(format, Inv) + " s";
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

    /// <summary>A rate (images per second) with about three significant digits.</summary>
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

    /// <summary>Bytes as decimal megabytes (1 MB = 1,000,000 bytes), or kB below 0.1 MB.</summary>
    public static string Bytes(double bytes)
    {
        if (!IsMeasured(bytes) || bytes < 0)
        {
            return Missing;
        }

        if (bytes < 100_000)
        {
            return (bytes / 1000).ToString("0.0", Inv) + " kB";
        }

        var mb = bytes / 1_000_000;
        return mb.ToString(mb >= 100 ? "#,0" : mb >= 10 ? "0.0" : "0.00", Inv) + " MB";
    }

    /// <summary>Megabytes as a bare number (for table columns headed "MB").</summary>
    public static string Megabytes(double bytes) => IsMeasured(bytes) && bytes >= 0 ? (bytes / 1_000_000).ToString(bytes >= 10_000_000 ? "0.0" : "0.00", Inv) : Missing;

    /// <summary>Confidence as a percentage.</summary>
    public static string Percent(double value) => IsMeasured(value) ? (value * 100).ToString("0", Inv) + "%" : Missing;

    /// <summary>Escapes a cell of a markdown table (pipes, newlines, and characters markdown would treat as markup).</summary>
    public static string MarkdownCell(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '|':
                case '\\':
                case '*':
                case '_':
                case '`':
                case '[':
                case ']':
                case '<':
                case '>':
                    sb.Append('\\').Append(c);
                    break;
                case '\r':
                case '\n':
                    sb.Append(' ');
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        return sb.ToString();
    }

    public static string Html(string text) => System.Net.WebUtility.HtmlEncode(text);
}
