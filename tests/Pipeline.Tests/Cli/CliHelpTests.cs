using ImageWorkbench.Pipeline.Cli;
using CliRunner = ImageWorkbench.Pipeline.Tests.Hostile.Cli;

namespace ImageWorkbench.Pipeline.Tests.Cli;

/// <summary>
/// The runner's own surface on System.CommandLine: help for every command, --version, "did you mean", the
/// [suggest] directive shell completion calls, and README's CLI reference made from the same definitions.
/// </summary>
[Collection("Console")]
public sealed class CliHelpTests
{
    public static IEnumerable<object[]> CommandPaths() => Commands.Table.Select(c => new object[] { c.Path });

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public void Every_command_has_help_listing_each_of_its_options_and_exits_0(string path)
    {
        var definition = Commands.Table.Single(c => c.Path == path);
        foreach (var help in new[] { "--help", "-h" })
        {
            var result = CliRunner.Run([.. path.Split(' '), help]);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains($"pipeline {path}", result.Out, StringComparison.Ordinal);
            foreach (var option in definition.Options)
            {
                Assert.True(result.Out.Contains(option.Flag, StringComparison.Ordinal), $"{path} --help does not list {option.Flag}\n{result}");
                if (option.DefaultText is { } shown && !definition.Required.Contains(option))
                {
                    // help wraps long lines: compare without the white space
                    Assert.Contains(string.Concat(shown.Where(c => !char.IsWhiteSpace(c))), string.Concat(result.Out.Where(c => !char.IsWhiteSpace(c))), StringComparison.Ordinal);
                }
            }

            Assert.Empty(result.ErrLines);
        }

        // `pipeline help <command>` is the same page
        Assert.Equal(CliRunner.Run([.. path.Split(' '), "--help"]).Out, CliRunner.Run(["help", .. path.Split(' ')]).Out);
    }

    [Fact]
    public void Root_help_lists_every_command_and_exits_0_or_2_without_a_command()
    {
        var help = CliRunner.Run("--help");
        Assert.Equal(0, help.ExitCode);
        foreach (var word in Commands.Table.Select(c => c.Path.Split(' ')[0]).Distinct())
        {
            Assert.Contains(word, help.Out, StringComparison.Ordinal);
        }

        Assert.Contains("--version", help.Out, StringComparison.Ordinal);
        var nothing = CliRunner.Run();
        Assert.Equal(2, nothing.ExitCode);
        Assert.Equal(help.Out, nothing.Out);
    }

    [Fact]
    public void Version_prints_the_informational_version_and_exits_0()
    {
        var result = CliRunner.Run("--version");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(CommandTree.Version, result.Out.Trim());
        Assert.Matches(@"^\d+\.\d+\.\d+", result.Out);
    }

    [Theory]
    [InlineData(new[] { "trian" }, "unknown command 'trian' (did you mean train?)")]
    [InlineData(new[] { "evalute", "--model", "m.zip" }, "(did you mean evaluate?)")]
    [InlineData(new[] { "train", "--sed", "7" }, "unknown option --sed for train (did you mean --seed?)")]
    [InlineData(new[] { "predict", "--model", "m.zip", "--seed", "7", "a.png" }, "--seed is not an option of predict (it is one of train, evaluate, compare, bench, featurize, dataset info, dataset subset, dataset export)")]
    [InlineData(new[] { "train", "--max-iteration", "7" }, "(did you mean --max-iterations?)")]
    [InlineData(new[] { "dataset", "sbuset" }, "(did you mean subset?)")]
    [InlineData(new[] { "compare", "--out", "x", "--pipeline", "cnn" }, "(did you mean --pipelines?)")]
    public void Typos_get_one_usage_error_with_a_suggestion(string[] args, string expected)
    {
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == 2, result.ToString());
        var usage = Assert.Single(result.ErrLines, l => l.StartsWith("usage error:", StringComparison.Ordinal));
        Assert.Contains(expected, usage, StringComparison.Ordinal);
        result.AssertNoStackTrace();
    }

    [Fact]
    public void Nothing_close_gets_no_suggestion()
    {
        var result = CliRunner.Run("train", "--zzzzzz", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.DoesNotContain(result.ErrLines, l => l.Contains("did you mean", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("pipeline tr", "train")]
    [InlineData("pipeline train --pi", "--pipeline")]
    [InlineData("pipeline train --pipeline ", "cnn")]
    [InlineData("pipeline train --trainer ", "lightgbm")]
    [InlineData("pipeline dataset ", "subset")]
    public void The_suggest_directive_completes_commands_options_and_values(string typed, string expected)
    {
        // what dotnet-suggest asks for on <Tab>: [suggest:<cursor>] "<the line typed so far>"
        var result = CliRunner.Run($"[suggest:{typed.Length}]", typed);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(expected, result.Out.Split('\n', StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void Completion_offers_our_spellings_only()
    {
        const string Typed = "pipeline train --resize ";
        var offered = CliRunner.Run($"[suggest:{Typed.Length}]", Typed).Out.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["center-crop", "pad", "stretch"], offered.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Readme_cli_reference_is_the_one_the_definitions_give()
    {
        var readme = Path.Combine(CliRunner.RepoRoot(), "README.md");
        const string Begin = "<!-- generated:" + CliReference.Section + ":begin -->";
        const string End = "<!-- generated:" + CliReference.Section + ":end -->";
        var text = File.ReadAllText(readme).ReplaceLineEndings("\n");
        var start = text.IndexOf(Begin, StringComparison.Ordinal);
        var stop = text.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && stop > start, $"README.md has no {Begin} ... {End} block");
        var expected = "\n" + CliReference.Markdown();
        var actual = text[(start + Begin.Length)..stop];
        if (actual != expected && Environment.GetEnvironmentVariable("UPDATE_CLI_REFERENCE") == "1")
        {
            File.WriteAllText(readme, text[..(start + Begin.Length)] + expected + text[stop..]);
            return;
        }

        Assert.True(actual == expected, $"README's CLI reference differs from the option definitions. Regenerate it with:\n  UPDATE_CLI_REFERENCE=1 dotnet test tests/Pipeline.Tests --filter FullyQualifiedName~Readme_cli_reference\nexpected:\n{expected}\nREADME has:\n{actual}");
    }

    [Fact]
    public void Readme_feature_set_table_is_the_one_the_presets_give()
    {
        var readme = Path.Combine(CliRunner.RepoRoot(), "README.md");
        const string Begin = "<!-- generated:" + FeatureSetReference.Section + ":begin -->";
        const string End = "<!-- generated:" + FeatureSetReference.Section + ":end -->";
        var text = File.ReadAllText(readme).ReplaceLineEndings("\n");
        var start = text.IndexOf(Begin, StringComparison.Ordinal);
        var stop = text.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && stop > start, $"README.md has no {Begin} ... {End} block");
        var expected = "\n" + FeatureSetReference.Markdown();
        var actual = text[(start + Begin.Length)..stop];
        if (actual != expected && Environment.GetEnvironmentVariable("UPDATE_FEATURE_SETS") == "1")
        {
            File.WriteAllText(readme, text[..(start + Begin.Length)] + expected + text[stop..]);
            return;
        }

        Assert.True(actual == expected, $"README's feature-set table differs from the presets. Regenerate it with:\n  UPDATE_FEATURE_SETS=1 dotnet test tests/Pipeline.Tests --filter FullyQualifiedName~Readme_feature_set_table\nexpected:\n{expected}\nREADME has:\n{actual}");
    }

    [Fact]
    public void Each_option_name_means_one_kind_of_value_across_commands()
    {
        // The same --name may be defined more than once only for another meaning (--out is a file or a folder);
        // a second definition of a value that means the same is the drift this table exists to prevent.
        var byName = Commands.Table.SelectMany(c => c.Options).Distinct().GroupBy(o => o.Name);
        foreach (var group in byName.Where(g => g.Count() > 1))
        {
            Assert.True(group.Select(o => o.Description).Distinct().Count() == group.Count(), $"--{group.Key} is defined twice with the same description");
        }
    }
}
