using System.Text;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary>
/// README's CLI reference, made from the same definitions as the help (<see cref="Commands.Table"/>, <see cref="Opt"/>):
/// a test compares README's generated block with <see cref="Markdown()"/>, so an option cannot exist without being
/// documented, nor be documented with another default or range than the one the runner applies.
/// </summary>
internal static class CliReference
{
    /// <summary>README's block: <c>&lt;!-- generated:cli-reference:begin --&gt;</c> ... <c>end</c>.</summary>
    public const string Section = "cli-reference";

    public static string Markdown() => Markdown(Commands.Table);

    public static string Markdown(IReadOnlyList<CliCommand> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var text = new StringBuilder();
        text.Append("| Command | What it does |\n|---|---|\n");
        foreach (var command in commands)
        {
            var required = string.Concat(command.Required.Select(o => $" {o.Flag} {o.ValueName}"));
            text.Append($"| `{Cell(command.Path + required)} [options]{(command.TakesImages ? " IMAGE..." : string.Empty)}` | {Cell(command.Description)} |\n");
        }

        text.Append("\n| Option | Value | Default | Commands | What it sets |\n|---|---|---|---|---|\n");
        foreach (var option in commands.SelectMany(c => c.Options).Distinct())
        {
            var users = commands.Where(c => c.Options.Contains(option)).Select(c => c.Path + (c.Required.Contains(option) ? " (required)" : string.Empty));
            text.Append($"| `{option.Flag}` | {(option.IsSwitch ? "switch" : $"`{Cell(option.ValueName)}`")} | {Cell(option.DefaultText ?? "-")} | {Cell(string.Join(", ", users))} | {Cell(option.Description)} |\n");
        }

        text.Append($"| `{Opt.Verbose.Flag}` | switch | - | every command | {Cell(Opt.Verbose.Description)} |\n");
        text.Append("| `--help`, `-h` | switch | - | every command | The command's options, with their defaults and values |\n");
        text.Append("| `--version` | switch | - | `pipeline --version` | The runner's informational version |\n");
        return text.ToString();
    }

    /// <summary>Markdown table cell text: a '|' would end the cell, and "&lt;data set name&gt;" would be read as an HTML tag.</summary>
    private static string Cell(string text) =>
        text.Replace("|", "\\|", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
