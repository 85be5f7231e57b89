using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary>
/// One option, defined once: name, value name, default, description and allowed values. The help, the tab completion,
/// README's CLI reference and the checking of a given value all come from this definition, so none of them can drift
/// from what a command reads. Checking happens while the command line is parsed, before any work, with our wording.
/// </summary>
internal abstract class CliOption(string name, string valueName, string description, string? defaultText, IReadOnlyList<string> allowed)
{
    /// <summary>The name without its dashes: <c>seed</c> for <c>--seed</c>.</summary>
    public string Name => name;

    public string Flag => "--" + Name;

    /// <summary>What the value is called in usage lines (<c>N</c>, <c>PATH</c>, <c>sdca|lbfgs</c>); empty for a switch.</summary>
    public string ValueName => valueName;

    public string Description => description;

    /// <summary>What is used when the option is not given, as the user reads it; null when nothing is.</summary>
    public string? DefaultText => defaultText;

    /// <summary>The values the option takes when they are a fixed set (tab completion offers them).</summary>
    public IReadOnlyList<string> Allowed => allowed;

    public bool IsSwitch => ValueName.Length == 0;

    /// <summary>A System.CommandLine option for this definition; <paramref name="required"/> varies per command.</summary>
    public abstract Option Create(bool required);
}

/// <summary>An option whose checked value is a <typeparamref name="T"/>; <see cref="CommandLine.Get{T}"/> reads it.</summary>
internal sealed class CliOption<T> : CliOption
{
    private readonly Func<string, T> _parse;

    public CliOption(string name, string valueName, string description, Func<string, T> parse, T? defaultValue = default, string? defaultText = null, IReadOnlyList<string>? allowed = null)
        : base(name, valueName, description, defaultText, allowed ?? [])
    {
        _parse = parse;
        Default = defaultValue;
    }

    /// <summary>The value when the option is not given.</summary>
    public T? Default { get; }

    public override Option Create(bool required)
    {
        // The default is shown from our text, not through DefaultValueFactory: "the embedded data set" or "the
        // pipeline's default" are defaults too, and CommandLine.Get returns the value below when the option is absent.
        var option = new Option<T>(Flag)
        {
            Description = Description + (DefaultText is null || required ? string.Empty : $" [default: {DefaultText}]"),
            Required = required,
        };
        if (IsSwitch)
        {
            option.Arity = ArgumentArity.Zero;
            return option;
        }

        option.HelpName = ValueName;
        option.Arity = ArgumentArity.ExactlyOne;
        option.CustomParser = Parse;

        // Only our spellings: System.CommandLine would also offer an enum's member names (CenterCrop, HandCrafted).
        option.CompletionSources.Clear();
        if (Allowed.Count > 0)
        {
            option.CompletionSources.Add(Allowed.ToArray());
        }

        return option;
    }

    /// <summary>Our checks, reported as parse errors (the first one a run meets is its one usage error line).</summary>
    private T? Parse(ArgumentResult result)
    {
        if (result.Tokens.Count != 1)
        {
            return Default; // given twice or not at all: reported by CommandLine's own checks
        }

        var text = result.Tokens[0].Value;
        if (string.IsNullOrWhiteSpace(text))
        {
            result.AddError($"{Flag} needs a value, got '{text}'");
            return Default;
        }

        try
        {
            return _parse(text);
        }
        catch (UsageException ex)
        {
            result.AddError(ex.Message);
            return Default;
        }
    }
}

/// <summary>The kinds of option values, each with its checks (the ones HostileUsageTests pins) and its help text.</summary>
internal static class CliOptions
{
    public static CliOption<string> Text(string name, string valueName, string description, string? defaultText = null) =>
        new(name, valueName, description, text => text, defaultText: defaultText);

    public static CliOption<bool> Switch(string name, string description) =>
        new(name, string.Empty, description, _ => true);

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, with a default.</summary>
    public static CliOption<int> Int(string name, string description, int defaultValue, int min, int max = int.MaxValue) =>
        new(name, "N", description + Range(min, max), text => ParseInt(name, text, min, max), defaultValue, defaultValue.ToString(CultureInfo.InvariantCulture));

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>; null when not given.</summary>
    public static CliOption<int?> OptionalInt(string name, string description, int min, int max = int.MaxValue, string? defaultText = null) =>
        new(name, "N", description + Range(min, max), text => ParseInt(name, text, min, max), defaultText: defaultText);

    /// <summary>A finite number from <paramref name="min"/> to <paramref name="max"/>; each end included only when said.</summary>
    public static CliOption<double> Number(string name, string description, double defaultValue, double min, double max, bool ends = false) =>
        new(name, "F", $"{description} ({(ends ? $"{min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}" : $"above {min.ToString(CultureInfo.InvariantCulture)}, below {max.ToString(CultureInfo.InvariantCulture)}")})", text => ParseDouble(name, text, min, max, ends), defaultValue, defaultValue.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// One name out of <paramref name="allowed"/>, resolved by <paramref name="parse"/> (which may take spellings the
    /// help does not list). The default is either one of the names (<paramref name="defaultName"/>, parsed like a
    /// given value, so the help cannot show another default than the one applied) or, when a command decides it
    /// later, a description of it (<paramref name="defaultText"/>).
    /// </summary>
    public static CliOption<T> Choice<T>(string name, string description, IReadOnlyList<string> allowed, Func<string, T> parse, string? defaultName = null, string? defaultText = null) =>
        new(name, string.Join('|', allowed), description, parse, defaultName is null ? default : parse(defaultName), defaultText ?? defaultName, allowed);

    /// <summary>
    /// A comma-separated list, each entry parsed by <paramref name="parse"/>: an empty list, an empty entry or an
    /// entry given twice is a usage error (<c>--pipelines ,</c> would otherwise run nothing and report success).
    /// </summary>
    /// <remarks><paramref name="defaultList"/>, when given, is parsed as a given value would be (the help shows it).</remarks>
    public static CliOption<IReadOnlyList<T>> List<T>(string name, string valueName, string description, Func<string, T> parse, string? defaultList = null, IReadOnlyList<string>? allowed = null, string? defaultText = null) =>
        new(name, valueName, description, text => ParseList(name, text, parse), defaultList is null ? null : ParseList(name, defaultList, parse), defaultText ?? defaultList, allowed);

    private static string Range(int min, int max) =>
        max == int.MaxValue ? $" (from {min.ToString(CultureInfo.InvariantCulture)})" : $" ({min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)})";

    private static int ParseInt(string name, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"--{name} must be a whole number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, got '{text}'");
        }

        return value;
    }

    private static string NumberRange(double min, double max, bool ends) =>
        $"{(ends ? "from" : "between")} {min.ToString(CultureInfo.InvariantCulture)}{(ends ? string.Empty : " (excluded)")} {(ends ? "to" : "and")} {max.ToString(CultureInfo.InvariantCulture)}{(ends ? string.Empty : " (excluded)")}";

    private static double ParseDouble(string name, string text, double min, double max, bool ends)
    {
        // NaN passes every comparison below as "not out of range", and Infinity is never meant: refuse both first.
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value)
            || (ends ? value < min : value <= min) || (ends ? value > max : value >= max))
        {
            throw new UsageException($"--{name} must be a number {NumberRange(min, max, ends)}, got '{text}'");
        }

        return value;
    }

    private static List<T> ParseList<T>(string name, string text, Func<string, T> parse)
    {
        var items = new List<T>();
        foreach (var entry in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (entry.Length == 0)
            {
                throw new UsageException($"--{name} has an empty entry in '{text}'");
            }

            var item = parse(entry);
            if (items.Contains(item))
            {
                throw new UsageException($"--{name} names '{entry}' twice");
            }

            items.Add(item);
        }

        return items;
    }
}
