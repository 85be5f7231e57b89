using System.Globalization;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary>A usage mistake: printed with the command's help, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Parsed arguments of one command: <c>--name value</c> options, <c>--flag</c> switches and positional words.
/// Everything a user can get wrong here is a usage error naming the option: an unknown option, an option given
/// twice, an empty value, a value that is another option, a word the command does not take, a number out of range
/// or not finite. A typo never silently falls back to a default, and commands read every option before any work.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CommandLine(List<string> positionals) => Positionals = positionals;

    public IReadOnlyList<string> Positionals { get; }

    /// <summary>
    /// Parses <paramref name="args"/> given which names take a value and which are switches; words that are not
    /// options are refused unless <paramref name="takesPositionals"/>.
    /// </summary>
    public static CommandLine Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> flagOptions, bool takesPositionals = false)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(valueOptions);
        ArgumentNullException.ThrowIfNull(flagOptions);
        var line = new CommandLine([]);
        var positionals = (List<string>)line.Positionals;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                positionals.AddRange(args.Skip(i + 1));
                break;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                positionals.Add(arg);
                continue;
            }

            var name = arg[2..];
            string? inlineValue = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                inlineValue = name[(eq + 1)..];
                name = name[..eq];
            }

            if (flagOptions.Contains(name))
            {
                if (inlineValue is not null)
                {
                    throw new UsageException($"--{name} is a switch and takes no value, got '{inlineValue}'");
                }

                if (!line._flags.Add(name))
                {
                    throw new UsageException($"--{name} is given twice");
                }
            }
            else if (valueOptions.Contains(name))
            {
                var value = inlineValue ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"--{name} needs a value"));
                if (inlineValue is null && value.StartsWith("--", StringComparison.Ordinal) && value.Length > 2)
                {
                    // `--out --seed 1` would otherwise write to a file called "--seed"; `--out=--seed` still can.
                    throw new UsageException($"--{name} needs a value, got the option '{value}' (write --{name}={value} if that is the value)");
                }

                if (string.IsNullOrWhiteSpace(value))
                {
                    throw new UsageException($"--{name} needs a value, got '{value}'");
                }

                if (!line._options.TryAdd(name, value))
                {
                    throw new UsageException($"--{name} is given twice ('{line._options[name]}' and '{value}')");
                }
            }
            else
            {
                throw new UsageException($"unknown option --{name}");
            }
        }

        if (!takesPositionals && positionals.Count > 0)
        {
            throw new UsageException($"unexpected argument '{positionals[0]}' (options are written --name value)");
        }

        return line;
    }

    public bool Has(string flag) => _flags.Contains(flag);

    /// <summary>Whether option or switch <paramref name="name"/> was given.</summary>
    public bool Given(string name) => _options.ContainsKey(name) || _flags.Contains(name);

    public string? Get(string name) => _options.GetValueOrDefault(name);

    public string Require(string name) => Get(name) ?? throw new UsageException($"--{name} is required");

    /// <summary>Refuses each of <paramref name="names"/> that was given: it does not apply to this run (<paramref name="why"/>).</summary>
    public void Refuse(IEnumerable<string> names, string why)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.FirstOrDefault(Given) is { } name)
        {
            throw new UsageException($"--{name} {why}");
        }
    }

    public int GetInt(string name, int fallback, int min = int.MinValue, int max = int.MaxValue) =>
        Get(name) is { } text ? ParseInt(name, text, min, max) : fallback;

    public int? GetOptionalInt(string name, int min = int.MinValue, int max = int.MaxValue) =>
        Get(name) is { } text ? ParseInt(name, text, min, max) : null;

    public int RequireInt(string name, int min = int.MinValue, int max = int.MaxValue) => ParseInt(name, Require(name), min, max);

    /// <summary>A finite number from <paramref name="min"/> to <paramref name="max"/>; each end included only when said.</summary>
    public double GetDouble(string name, double fallback, double min, double max, bool minIncluded = false, bool maxIncluded = false)
    {
        var text = Get(name);
        if (text is null)
        {
            return fallback;
        }

        // NaN passes every comparison below as "not out of range", and Infinity is never meant: refuse both first.
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value)
            || (minIncluded ? value < min : value <= min) || (maxIncluded ? value > max : value >= max))
        {
            var range = $"{(minIncluded ? "from" : "between")} {min.ToString(CultureInfo.InvariantCulture)}{(minIncluded ? string.Empty : " (excluded)")} {(minIncluded ? "to" : "and")} {max.ToString(CultureInfo.InvariantCulture)}{(maxIncluded ? string.Empty : " (excluded)")}";
            throw new UsageException($"--{name} must be a number {range}, got '{text}'");
        }

        return value;
    }

    /// <summary>
    /// A comma-separated list, each entry parsed by <paramref name="parse"/>: an empty list, an empty entry or an
    /// entry given twice is a usage error (<c>--pipelines ,</c> would otherwise run nothing and report success).
    /// </summary>
    public IReadOnlyList<T>? GetList<T>(string name, Func<string, T> parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var text = Get(name);
        if (text is null)
        {
            return null;
        }

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

    private static int ParseInt(string name, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"--{name} must be a whole number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, got '{text}'");
        }

        return value;
    }
}
