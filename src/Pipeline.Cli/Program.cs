using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.InteropServices;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary>
/// Entry point: picks the command, maps failures to exit codes (0 ok, 1 failure, 2 usage) and turns Ctrl+C (and SIGTERM) into
/// a cancellation that every long operation honours; outputs are written atomically, so nothing is left half-written.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        var cancelRequests = 0;

        // First Ctrl+C or SIGTERM: stop cleanly. Second: let the runtime end the process.
        bool FirstStop(string announcement)
        {
            if (Interlocked.Increment(ref cancelRequests) != 1)
            {
                return false;
            }

            Console.Error.WriteLine();
            Console.Error.WriteLine(announcement);
            cancellation.Cancel();
            return true;
        }

        Console.CancelKeyPress += (_, e) => e.Cancel = FirstStop("cancelling... (press Ctrl+C again to quit at once)");

        // SIGTERM (kill, docker stop, a service manager) is the same request: the runtime's own handling ended the
        // process on the spot, leaving the staged output beside the user's files and the network's temp folder behind.
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => context.Cancel = FirstStop("terminating... (send SIGTERM again to quit at once)"));

        return Run(args, Console.Out, cancellation.Token);
    }

    internal static int Run(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var tree = Commands.Tree();
        if (args.Length == 0)
        {
            tree.Parse(["--help"]).Invoke(Invocation(output));
            return ExitCodes.Usage;
        }

        // `pipeline help` and `pipeline help train` are `pipeline --help` and `pipeline train --help`.
        var parse = tree.Parse(args[0] == "help" ? [.. args[1..], "--help"] : args);
        if (parse.Action is not null and not ParseErrorAction)
        {
            return parse.Invoke(Invocation(output)); // --help, --version, the [suggest] directive of shell completion: exit 0
        }

        var verbose = false;
        RunEnd.Begin();
        try
        {
            var line = CommandLine.Check(parse, args, tree);
            verbose = line.Has(Opt.Verbose);
            return line.Command.Run(line, output, cancellationToken);
        }
        catch (UsageException ex)
        {
            RunEnd.Finish();
            var command = parse.CommandResult.Command is RootCommand ? string.Empty : CommandPath(parse.CommandResult.Command) + " ";
            Failures.Print($"usage error: {ex.Message}");
            Console.Error.WriteLine($"run 'pipeline {command}--help' for the options");
            return ExitCodes.Usage;
        }
        catch (Exception ex)
        {
            RunEnd.Finish(); // progress lines end and held-back warnings are counted before the error line
            return Failures.Report(ex, verbose);
        }
        finally
        {
            RunEnd.Finish();
        }
    }

    /// <summary>Help and version go to <paramref name="output"/>; exceptions are not System.CommandLine's to print.</summary>
    private static InvocationConfiguration Invocation(TextWriter output) =>
        new() { Output = output, Error = Console.Error, EnableDefaultExceptionHandler = false };

    private static string CommandPath(Command command) =>
        command.Parents.OfType<Command>().FirstOrDefault(p => p is not RootCommand) is { } parent ? $"{CommandPath(parent)} {command.Name}" : command.Name;
}

internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
}

/// <summary>Turns an exception into one <c>error:</c> line (the full trace only with <c>--verbose</c>).</summary>
internal static class Failures
{
    public static int Report(Exception ex, bool verbose)
    {
        var root = Find(ex);
        switch (root)
        {
            case OperationCanceledException:
                // True since outputs are staged: files are renamed into place only when a run completes (the CNN feature cache is not an output).
                Console.Error.WriteLine("error: cancelled; no output was written or changed");
                break;
            case WorkbenchException user:
                Print($"error: {user.Message}");
                break;
            case UnauthorizedAccessException or IOException:
                Print($"error: {root.Message}");
                break;
            default:
                Print($"error: {root.GetType().Name}: {root.Message} (run with --verbose for details)");
                break;
        }

        if (verbose)
        {
            Console.Error.WriteLine(ex.ToString());
        }

        return ExitCodes.Failure;
    }

    /// <summary>
    /// Prints one message line to stderr. Messages quote file and class names, which may hold a newline (forging an
    /// <c>error:</c> line), a terminal escape or a bidi override: <see cref="TerminalText"/> escapes them.
    /// </summary>
    public static void Print(string line) => ConsoleProgress.WriteLine(line);

    /// <summary>ML.NET and Parallel wrap the exceptions thrown inside cursors and workers; the user's cause is inside.</summary>
    internal static Exception Find(Exception ex)
    {
        for (var current = ex; current is not null; current = current.InnerException)
        {
            if (current is WorkbenchException or OperationCanceledException)
            {
                return current;
            }

            if (current is AggregateException aggregate)
            {
                var inner = aggregate.Flatten().InnerExceptions.Select(Find).FirstOrDefault(e => e is WorkbenchException or OperationCanceledException);
                if (inner is not null)
                {
                    return inner;
                }
            }
        }

        return ex;
    }
}

/// <summary>
/// What a run does when it ends, however it ends: stop progress heartbeats and end the bar line, then print the
/// "and K more like this" lines of grouped warnings. Kept per run (an async-local list), so in-process runs in tests
/// do not share it.
/// </summary>
internal static class RunEnd
{
    private static readonly AsyncLocal<List<Action>?> Actions = new();

    public static void Begin() => Actions.Value = [];

    public static void Register(Action action)
    {
        if (Actions.Value is { } actions)
        {
            lock (actions)
            {
                actions.Add(action);
            }
        }
    }

    /// <summary>Runs every registered action once, in order; later calls find nothing left to do.</summary>
    public static void Finish()
    {
        if (Actions.Value is not { } actions)
        {
            return;
        }

        Action[] pending;
        lock (actions)
        {
            pending = [.. actions];
            actions.Clear();
        }

        foreach (var action in pending)
        {
            action();
        }
    }
}
