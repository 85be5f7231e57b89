using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Reflection;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary>A usage mistake: printed as one <c>usage error:</c> line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>What a command does with its checked command line.</summary>
internal delegate int CommandHandler(CommandLine line, TextWriter output, CancellationToken cancellationToken);

/// <summary>
/// A command: its words (<c>dataset subset</c>), what it does, the options it takes (<see cref="Opt"/>), which of
/// them it needs, whether it takes image paths, and the one method that runs it.
/// </summary>
internal sealed record CliCommand(string Path, string Description, CliOption[] Options, CommandHandler Run)
{
    public CliOption[] Required { get; init; } = [];

    /// <summary>Whether the command takes image paths after its options (predict).</summary>
    public bool TakesImages { get; init; }
}

/// <summary>
/// The System.CommandLine tree built from the command table: help (<c>--help</c>, <c>-h</c> on every command),
/// <c>--version</c>, the <c>[suggest]</c> directive that shell completion calls, and the parse itself.
/// Response files (<c>@file</c>) are off: an image path may begin with '@'.
/// </summary>
internal sealed class CommandTree
{
    public const string ImagesArgument = "IMAGE";

    private static readonly ParserConfiguration Configuration = new() { ResponseFileTokenReplacer = null };

    private readonly Dictionary<Command, CliCommand> _commands = [];

    public CommandTree(string description, IReadOnlyList<CliCommand> commands, IReadOnlyDictionary<string, string> groups)
    {
        Commands = commands;
        // Help names the program by the entry assembly's file (ImageWorkbench.Pipeline.Cli, or the test host)
        // unless told: the command is installed as `pipeline`.
        Root = new RootCommand(description) { HelpName = "pipeline" };
        foreach (var version in Root.Options.OfType<VersionOption>())
        {
            version.Action = new PrintVersion();
        }

        foreach (var help in Root.Options.OfType<HelpOption>())
        {
            help.Action = new HelpAction { MaxWidth = HelpWidth() };
        }

        var verbose = Opt.Verbose.Create(required: false);
        verbose.Recursive = true;
        Root.Add(verbose);
        foreach (var definition in commands)
        {
            var parent = (Command)Root;
            var words = definition.Path.Split(' ');
            foreach (var group in words[..^1])
            {
                var existing = parent.Subcommands.FirstOrDefault(c => c.Name == group);
                if (existing is null)
                {
                    existing = new Command(group, groups[group]);
                    parent.Add(existing);
                }

                parent = existing;
            }

            var command = new Command(words[^1], definition.Description);
            foreach (var option in definition.Options)
            {
                command.Add(option.Create(definition.Required.Contains(option)));
            }

            if (definition.TakesImages)
            {
                command.Add(new Argument<string[]>(ImagesArgument) { Arity = ArgumentArity.ZeroOrMore, Description = "Images: files, folders (every image below), globs or .txt/.lst manifests of paths" });
            }

            parent.Add(command);
            _commands[command] = definition;
        }
    }

    public RootCommand Root { get; }

    public IReadOnlyList<CliCommand> Commands { get; }

    /// <summary>The informational version of the runner (the one <c>--version</c> prints).</summary>
    public static string Version =>
        typeof(CommandTree).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(CommandTree).Assembly.GetName().Version?.ToString() ?? "unknown";

    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(args, Configuration);

    public CliCommand? Find(Command command) => _commands.GetValueOrDefault(command);

    /// <summary>Help lines wrap at the terminal's width, or at 110 columns in a pipe or file.</summary>
    private static int HelpWidth()
    {
        try
        {
            return Console.IsOutputRedirected || Console.WindowWidth < 40 ? 110 : Console.WindowWidth;
        }
        catch (IOException)
        {
            return 110;
        }
    }

    /// <summary>Our own: System.CommandLine's would print the entry assembly's version (the test host's, in tests).</summary>
    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Version);
            return ExitCodes.Ok;
        }
    }
}

/// <summary>
/// A parsed and checked command line. Everything a user can get wrong is a usage error naming the option: an unknown
/// option or command (with a "did you mean"), an option given twice, an empty value, a value that is another option,
/// a switch given a value, a word the command does not take, a number out of range or not finite, a bad list. A typo
/// never silently falls back to a default, and every option is checked before any work.
/// </summary>
internal sealed class CommandLine
{
    private readonly ParseResult _result;

    private CommandLine(ParseResult result, IReadOnlyList<string> args, CliCommand command)
    {
        _result = result;
        Args = args;
        Command = command;
    }

    public CliCommand Command { get; }

    /// <summary>The words as given after <c>pipeline</c> (quoted into report headers).</summary>
    public IReadOnlyList<string> Args { get; }

    /// <summary>The image paths (predict).</summary>
    public IReadOnlyList<string> Positionals =>
        Command.TakesImages ? _result.GetValue<string[]>(CommandTree.ImagesArgument) ?? [] : [];

    /// <summary>
    /// Checks <paramref name="result"/> against our rules, first mistake first; throws <see cref="UsageException"/>
    /// for it. <paramref name="args"/> are the raw words (System.CommandLine splits <c>--name=value</c>).
    /// </summary>
    public static CommandLine Check(ParseResult result, IReadOnlyList<string> args, CommandTree tree)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(tree);
        var commandResult = result.CommandResult;
        var command = tree.Find(commandResult.Command);
        var beforeSeparator = args.TakeWhile(a => a != "--").ToArray();
        CliOption[] known = [.. command?.Options ?? [], Opt.Verbose];

        // A switch given a value: System.CommandLine splits "--no-eval=1" and reports the stray "1" alone.
        foreach (var arg in beforeSeparator.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
        {
            var delimiter = arg.IndexOfAny(['=', ':']);
            if (delimiter > 2 && known.FirstOrDefault(o => o.IsSwitch && o.Flag == arg[..delimiter]) is { } flag)
            {
                throw new UsageException($"{flag.Flag} is a switch and takes no value, got '{arg[(delimiter + 1)..]}'");
            }
        }

        var optionResults = AllOptionResults(commandResult).ToArray();
        foreach (var option in optionResults.Where(o => o.IdentifierTokenCount > 1))
        {
            var values = option.Tokens.Count >= 2 ? $" ('{option.Tokens[0].Value}' and '{option.Tokens[1].Value}')" : string.Empty;
            throw new UsageException($"{option.Option.Name} is given twice{values}");
        }

        foreach (var option in optionResults.Where(o => o.Tokens.Count == 1))
        {
            // `--out --seed 1` would otherwise write to a file called "--seed"; `--out=--seed` still can.
            var value = option.Tokens[0].Value;
            var name = option.Option.Name;
            if (value.StartsWith("--", StringComparison.Ordinal) && value.Length > 2 && !args.Contains($"{name}={value}") && !args.Contains($"{name}:{value}"))
            {
                throw new UsageException($"{name} needs a value, got the option '{value}' (write {name}={value} if that is the value)");
            }
        }

        var stray = result.UnmatchedTokens.FirstOrDefault()
            ?? (command is { TakesImages: true } ? result.GetValue<string[]>(CommandTree.ImagesArgument)?.FirstOrDefault(p => p.StartsWith("--", StringComparison.Ordinal) && beforeSeparator.Contains(p)) : null);
        if (stray is not null)
        {
            throw new UsageException(Unmatched(stray, commandResult.Command, command, tree.Commands));
        }

        if (command is null)
        {
            var choices = string.Join(", ", commandResult.Command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
            throw new UsageException(commandResult.Command is RootCommand ? $"a command is needed: {choices}" : $"{commandResult.Command.Name} needs a subcommand: {choices}");
        }

        foreach (var option in optionResults.Where(o => o.Tokens.Count == 0 && o.Option.Arity.MinimumNumberOfValues > 0))
        {
            throw new UsageException($"{option.Option.Name} needs a value");
        }

        var line = new CommandLine(result, args, command);
        if (command.Required.FirstOrDefault(o => !line.Given(o)) is { } missing)
        {
            throw new UsageException($"{missing.Flag} is required");
        }

        // What is left are our value checks (CliOption's parser) and anything System.CommandLine adds: the first one.
        if (result.Errors.Count > 0)
        {
            throw new UsageException(result.Errors[0].Message);
        }

        return line;
    }

    /// <summary>Whether option or switch <paramref name="option"/> was given.</summary>
    public bool Given(CliOption option) => Find(option) is { Implicit: false };

    public bool Has(CliOption<bool> flag) => Given(flag);

    /// <summary>The checked value, or the option's default when it is not given.</summary>
    public T? Get<T>(CliOption<T> option)
    {
        ArgumentNullException.ThrowIfNull(option);
        return Find(option) is { Implicit: false } result ? result.GetValueOrDefault<T>() : option.Default;
    }

    /// <summary>The value of an option the command marks required (parsing already refused a line without it).</summary>
    public T Require<T>(CliOption<T> option) =>
        Get(option) ?? throw new UsageException($"{option.Flag} is required");

    /// <summary>The number of a required option (parsing already refused a line without it).</summary>
    public int RequireNumber(CliOption<int?> option) =>
        Get(option) ?? throw new UsageException($"{option.Flag} is required");

    /// <summary>Refuses each of <paramref name="options"/> that was given: it does not apply to this run (<paramref name="why"/>).</summary>
    public void Refuse(IEnumerable<CliOption> options, string why)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.FirstOrDefault(Given) is { } option)
        {
            throw new UsageException($"{option.Flag} {why}");
        }
    }

    private OptionResult? Find(CliOption option)
    {
        ArgumentNullException.ThrowIfNull(option);
        if (option != Opt.Verbose && !Command.Options.Contains(option))
        {
            // A command reading an option it does not define: the help and README would not show it.
            throw new InvalidOperationException($"{Command.Path} reads {option.Flag}, which its definition does not list");
        }

        return _result.GetResult(option.Flag) as OptionResult;
    }

    private static IEnumerable<OptionResult> AllOptionResults(SymbolResult? result)
    {
        for (var current = result; current is not null; current = current.Parent)
        {
            if (current is CommandResult command)
            {
                foreach (var option in command.Children.OfType<OptionResult>())
                {
                    yield return option;
                }
            }
        }
    }

    /// <summary>A word nobody took: an unknown option or command (with the nearest known one), or a stray argument.</summary>
    private static string Unmatched(string token, Command command, CliCommand? definition, IReadOnlyList<CliCommand> all)
    {
        if (token.StartsWith('-'))
        {
            var name = token.Split('=', ':')[0];
            var options = command.Options.Concat(command.Parents.OfType<Command>().SelectMany(p => p.Options).Where(o => o.Recursive)).Where(o => !o.Hidden).Select(o => o.Name);
            var suggestion = DidYouMean(name, options);
            var takers = all.Where(c => c.Options.Any(o => o.Flag == name)).Select(c => c.Path).ToArray();
            if (definition is not null && takers.Length > 0 && suggestion.Length == 0)
            {
                // an option of another command (--seed given to predict): say whose it is
                return $"{name} is not an option of {definition.Path} (it is one of {string.Join(", ", takers)})";
            }

            return $"unknown option {name}{(definition is null ? string.Empty : $" for {definition.Path}")}{suggestion}";
        }

        if (definition is null)
        {
            return $"unknown command '{token}'{DidYouMean(token, command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}";
        }

        return $"unexpected argument '{token}' (options are written --name value)";
    }

    /// <summary>" (did you mean --seed?)" when a known name is a likely typo of <paramref name="given"/>.</summary>
    internal static string DidYouMean(string given, IEnumerable<string> known)
    {
        var best = known
            .Select(k => (Name: k, Distance: EditDistance(given, k)))
            .Where(k => k.Distance <= Math.Max(1, k.Name.Length / 3) || (given.Length >= 4 && k.Name.StartsWith(given, StringComparison.Ordinal)))
            .OrderBy(k => k.Distance)
            .ThenBy(k => k.Name, StringComparer.Ordinal)
            .Select(k => k.Name)
            .FirstOrDefault();
        return best is null ? string.Empty : $" (did you mean {best}?)";
    }

    /// <summary>Levenshtein distance with adjacent swaps counted as one edit ("trian" is one edit from "train").</summary>
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
