using ImageWorkbench.FeatureExtractors;
using SkiaSharp;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>
/// Every option of every command, given every kind of wrong value: each must be a usage error (exit 2, one
/// <c>usage error:</c> line naming the option) found before any work. The corpus is generated from a table of the
/// commands' options; every base command line points at a data set, model or image that does not exist, so a run
/// that started work before checking its options would fail with exit 1 instead (a control row checks that).
/// </summary>
[Collection("Console")]
public sealed class HostileUsageTests
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "hostile-usage-never-created");
    private static readonly string MissingData = Path.Combine(Root, "no-such-data");
    private static readonly string MissingModel = Path.Combine(Root, "no-such-model.zip");
    private static readonly string MissingImage = Path.Combine(Root, "no-such-image.png");
    private static readonly string OutFile = Path.Combine(Root, "out", "result.file");
    private static readonly string OutDir = Path.Combine(Root, "out", "folder");

    /// <summary>What values an option takes; decides which wrong values it is given.</summary>
    private enum Kind
    {
        Text,
        Int,
        OpenFraction,
        ClosedFraction,
        Name,
        List,
        Flag,
    }

    /// <summary>An option, a valid value for it (used for "given twice") and, for numbers, its range.</summary>
    private sealed record Option(string Name, Kind Kind, string Valid, long Min = int.MinValue, long Max = int.MaxValue);

    /// <summary>
    /// A command line that is valid but fails at its first piece of work, the options it takes, and options it also
    /// takes that another row of the table tests (<paramref name="TestedElsewhere"/>).
    /// </summary>
    private sealed record Command(string Label, string[] Words, (string Name, string Value)[] Base, string[] Positionals, Option[] Options, string[]? TestedElsewhere = null);

    private static readonly Option[] DataOptions =
    [
        new("data", Kind.Text, MissingData),
        new("seed", Kind.Int, "7", 0),
        new("test-fraction", Kind.OpenFraction, "0.5"),
        new("max-train-per-class", Kind.Int, "5", 1),
        new("max-test-per-class", Kind.Int, "5", 1),
        new("max-bad-fraction", Kind.ClosedFraction, "0.5"),
    ];

    private static readonly Command[] Commands =
    [
        new("train handcrafted", ["train"], [("data", MissingData), ("out", OutFile)], [],
        [
            .. DataOptions,
            new("pipeline", Kind.Name, "handcrafted"),
            new("out", Kind.Text, OutFile),
            new("trainer", Kind.Name, "sdca"),
            new("feature-set", Kind.Name, FeatureSetPresets.Grey28V1Name),
            new("max-iterations", Kind.Int, "3", 1, 100_000),
            new("no-eval", Kind.Flag, string.Empty),
        ]),
        new("train cnn", ["train"], [("pipeline", "cnn"), ("data", MissingData), ("out", OutFile)], [],
        [
            .. DataOptions,
            new("out", Kind.Text, OutFile),
            new("trainer", Kind.Name, "lightgbm"),
            new("max-iterations", Kind.Int, "3", 1, 100_000),
            new("input-size", Kind.Int, "96", 32, 1024),
            new("resize", Kind.Name, "pad"),
            new("cache-dir", Kind.Text, OutDir),
            new("no-eval", Kind.Flag, string.Empty),
            new("no-cache", Kind.Flag, string.Empty),
            new("backbone", Kind.Text, MissingModel),
            new("backbone-input", Kind.Text, "image"),
            new("backbone-output", Kind.Text, "pooled"),
            new("backbone-size", Kind.Int, "64", 8, 1024),
            new("backbone-layout", Kind.Name, "nchw"),
            new("backbone-mean", Kind.Text, "0.5"),
            new("backbone-std", Kind.Text, "0.5"),
        ]),
        new("evaluate", ["evaluate"], [("model", MissingModel), ("data", MissingData)], [],
        [
            .. DataOptions,
            new("model", Kind.Text, MissingModel),
            new("json", Kind.Text, OutFile),
            new("all", Kind.Flag, string.Empty),
        ]),
        new("compare", ["compare"], [("data", MissingData), ("out", OutDir)], [],
        [
            .. DataOptions,
            new("pipelines", Kind.List, "handcrafted"),
            new("trainers", Kind.List, "sdca"),
            new("trainer", Kind.List, "lbfgs"),
            new("out", Kind.Text, OutDir),
            new("readme", Kind.Text, OutFile),
            new("section", Kind.Text, "results"),
            new("learning-curve", Kind.List, "5"),
            new("folds", Kind.Int, "3", 2, 20),
        ],
        ["models", "backbone", "backbone-input", "backbone-output", "backbone-size", "backbone-layout", "backbone-mean", "backbone-std"]), // the backbone options: train cnn's rows and OnnxBackboneTests
        new("compare --models", ["compare"], [("models", MissingModel), ("data", MissingData), ("out", OutDir)], [],
        [
            DataOptions[0], DataOptions[1], DataOptions[2], DataOptions[4], DataOptions[5],
            new("models", Kind.List, MissingModel),
            new("out", Kind.Text, OutDir),
            new("readme", Kind.Text, OutFile),
            new("section", Kind.Text, "results"),
        ]),
        new("bench", ["bench"], [("data", MissingData), ("out", OutFile)], [],
        [
            .. DataOptions,
            new("pipelines", Kind.List, "handcrafted"),
            new("out", Kind.Text, OutFile),
            new("readme", Kind.Text, OutFile),
            new("section", Kind.Text, "performance"),
        ]),
        new("predict", ["predict"], [("model", MissingModel)], [MissingImage],
        [
            new("model", Kind.Text, MissingModel),
            new("top", Kind.Int, "2", 1, 1000),
            new("json", Kind.Flag, string.Empty),
            new("out", Kind.Text, Path.Combine(Root, "out", "predictions.csv")),
            new("top-k", Kind.Int, "2", 0, 1000),
            new("min-confidence", Kind.ClosedFraction, "0.5"),
            new("max-bad-fraction", Kind.ClosedFraction, "0.5"),
        ]),
        new("features", ["features"], [("image", MissingImage), ("out", OutDir)], [],
        [
            new("image", Kind.Text, MissingImage),
            new("out", Kind.Text, OutDir),
            new("feature-set", Kind.Name, FeatureSetPresets.Rgb64V1Name),
            new("model", Kind.Text, MissingModel),
        ]),
        new("dataset info", ["dataset", "info"], [("data", MissingData)], [], DataOptions),
        new("dataset subset", ["dataset", "subset"], [("data", MissingData), ("out", OutDir), ("train-per-class", "2"), ("test-per-class", "1")], [],
        [
            .. DataOptions,
            new("out", Kind.Text, OutDir),
            new("train-per-class", Kind.Int, "2", 1),
            new("test-per-class", Kind.Int, "1", 1),
        ]),
        new("dataset export", ["dataset", "export"], [("data", MissingData), ("out", OutDir)], [],
        [
            .. DataOptions,
            new("out", Kind.Text, OutDir),
            new("split", Kind.Name, "test"),
        ]),
        new("cache info", ["cache", "info"], [("cache-dir", OutDir)], [], [new("cache-dir", Kind.Text, OutDir)]),
        new("cache clear", ["cache", "clear"], [("cache-dir", OutDir)], [], [new("cache-dir", Kind.Text, OutDir)]),
    ];

    /// <summary>Every option name any command knows: those a command does not take must be refused by it.</summary>
    private static readonly string[] AllOptionNames = Commands.SelectMany(c => c.Options).Select(o => o.Name).Concat(["verbose-x"]).Distinct().ToArray();

    /// <summary>Options that exist but do not apply to a command line as given (another pipeline or mode).</summary>
    private static readonly (string Command, string Option, string Value)[] NotApplicable =
    [
        ("predict", "top-k", "2"),
        ("train handcrafted", "input-size", "96"),
        ("train handcrafted", "resize", "pad"),
        ("train handcrafted", "cache-dir", OutDir),
        ("train handcrafted", "no-cache", string.Empty),
        ("train cnn", "feature-set", FeatureSetPresets.Grey28V1Name),
        ("compare --models", "pipelines", "handcrafted"),
        ("compare --models", "trainers", "sdca"),
        ("compare --models", "trainer", "sdca"),
        ("compare --models", "max-train-per-class", "5"),
        ("compare --models", "learning-curve", "5"),
        ("compare --models", "folds", "3"),
        ("compare --models", "trainers", "auto"),
        ("compare", "section", "results"), // --section without --readme
        ("bench", "section", "performance"),
    ];

    /// <summary>The rows: case description, argument list, the word the usage error must name.</summary>
    public static IEnumerable<object[]> Corpus()
    {
        foreach (var command in Commands)
        {
            foreach (var option in command.Options)
            {
                foreach (var (what, args) in WrongValues(option))
                {
                    yield return Row(command, $"--{option.Name} {what}", option.Name, args);
                }
            }

            foreach (var name in AllOptionNames.Except(command.Options.Select(o => o.Name)).Except(command.Base.Select(b => b.Name)).Except(command.TestedElsewhere ?? []))
            {
                var isSwitch = Commands.SelectMany(c => c.Options).Any(o => o.Name == name && o.Kind == Kind.Flag);
                yield return Row(command, $"--{name} (not an option of this command)", name, isSwitch ? [$"--{name}"] : [$"--{name}", "1"]);
            }

            if (command.Positionals.Length == 0)
            {
                // predict takes image paths: any other word is one
                yield return Row(command, "a stray word", "stray", ["stray"]);
                yield return Row(command, "a single-dash option", "-s", ["-s"]);
            }
        }

        foreach (var (label, option, value) in NotApplicable)
        {
            var command = Commands.Single(c => c.Label == label);
            yield return Row(command, $"--{option} where it does not apply", option, value.Length == 0 ? [$"--{option}"] : [$"--{option}", value]);
        }

        var compare = Commands.Single(c => c.Label == "compare");
        yield return Row(compare, "--trainer and --trainers together", "trainer", ["--trainer", "sdca", "--trainers", "lbfgs"]);
        yield return Row(compare, "--trainers auto with a trainer name", "trainers", ["--trainers", "auto,lbfgs"]);
        yield return Row(compare, "--learning-curve none with a size", "learning-curve", ["--learning-curve", "none,5"]);
        yield return Row(compare, "--learning-curve 0", "learning-curve", ["--learning-curve", "0"]);
        var subset = Commands.Single(c => c.Label == "dataset subset");
        yield return Row(subset with { Base = subset.Base.Where(b => b.Name != "train-per-class").ToArray() }, "without --train-per-class", "train-per-class", []);
        yield return Row(subset with { Base = subset.Base.Where(b => !b.Name.EndsWith("-per-class", StringComparison.Ordinal)).ToArray() }, "without counts", "per-class", []);
    }

    /// <summary>The wrong values for one option, each as the arguments that give it.</summary>
    private static IEnumerable<(string What, string[] Args)> WrongValues(Option option)
    {
        var flag = $"--{option.Name}";
        if (option.Kind == Kind.Flag)
        {
            yield return ("=1 (a switch given a value)", [$"{flag}=1"]);
            yield return ("twice", [flag, flag]);
            yield break;
        }

        yield return ("(no value at the end)", [flag]);
        yield return ("''", [flag, string.Empty]);
        yield return ("=''", [$"{flag}="]);
        yield return ("'   ' (whitespace)", [flag, "   "]);
        yield return ("'\\t' (a tab)", [flag, "\t"]);
        yield return ("followed by another option", [flag, "--no-such-value"]);
        yield return ("given twice", [flag, option.Valid, flag, option.Valid]);
        yield return ("given twice, = form", [$"{flag}={option.Valid}", flag, option.Valid]);

        IEnumerable<string> values = option.Kind switch
        {
            Kind.Int => IntValues(option),
            Kind.OpenFraction => ["NaN", "nan", "Infinity", "-Infinity", "∞", "1e999", "-0.1", "0", "1", "1.5", "abc", "0,5", "0x1"],
            Kind.ClosedFraction => ["NaN", "Infinity", "-Infinity", "1e999", "-0.1", "-0.0001", "1.0001", "2", "abc", "50%"],
            Kind.Name => ["bogus", "-1", "0", "7", $"{option.Valid},{option.Valid}"],
            Kind.List => [",", ",,", $"{option.Valid},", $",{option.Valid}", $"{option.Valid},,{option.Valid}", $"{option.Valid},{option.Valid}", $"{option.Valid}, {option.Valid}", .. option.Name == "models" ? Array.Empty<string>() : ["bogus", $"{option.Valid},bogus"]],
            _ => [],
        };
        foreach (var value in values)
        {
            yield return ($"'{value}'", [flag, value]);
        }
    }

    private static IEnumerable<string> IntValues(Option option)
    {
        string[] always = ["NaN", "Infinity", "abc", "1.5", "1e3", "0x10", "99999999999", "-99999999999", "2147483648", "-2147483649"];
        foreach (var value in always)
        {
            yield return value;
        }

        if (option.Min > int.MinValue)
        {
            yield return (option.Min - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (option.Min - 1 != -1)
            {
                yield return "-1";
            }
        }

        if (option.Max < int.MaxValue)
        {
            yield return (option.Max + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (option.Name == "input-size")
        {
            yield return "97"; // in range, but not a multiple of 32
            yield return "112";
        }
    }

    /// <summary>The base command line with <paramref name="extra"/> in place of any base option of the same name.</summary>
    private static object[] Row(Command command, string what, string names, string[] extra)
    {
        var kept = command.Base.Where(b => !extra.Any(e => e == $"--{b.Name}" || e.StartsWith($"--{b.Name}=", StringComparison.Ordinal)));

        // Positionals (predict's image) go before the case's arguments: after a trailing "--top" they would be its value.
        return [$"{command.Label}: {what}", (string[])[.. command.Words, .. kept.SelectMany(b => new[] { $"--{b.Name}", b.Value }), .. command.Positionals, .. extra], names];
    }

    /// <summary>The base command lines themselves: they are valid and reach their work (and fail there, exit 1).</summary>
    public static IEnumerable<object[]> Controls() =>
        Commands.Where(c => !c.Label.StartsWith("cache", StringComparison.Ordinal)).Select(c => new object[] { c.Label, (string[])[.. c.Words, .. c.Base.SelectMany(b => new[] { $"--{b.Name}", b.Value }), .. c.Positionals] });

    [Theory]
    [MemberData(nameof(Controls))]
    public void Each_base_command_line_is_valid_and_fails_only_at_its_work(string label, string[] args)
    {
        var result = Cli.Run(args);
        Assert.True(result.ExitCode == 1, $"{label}\n{result}");
        Assert.DoesNotContain(result.ErrLines, l => l.StartsWith("usage error:", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Wrong_option_is_a_usage_error_before_any_work(string description, string[] args, string names)
    {
        var result = Cli.Run(args);
        var usage = result.ErrLines.Where(l => l.StartsWith("usage error:", StringComparison.Ordinal)).ToArray();
        Assert.True(result.ExitCode == 2, $"{description}\n{result}");
        Assert.True(usage.Length == 1, $"{description}: one usage error line expected\n{result}");
        Assert.True(usage[0].Contains(names, StringComparison.Ordinal), $"{description}: the usage error does not name '{names}'\n{result}");
        Assert.Empty(result.Errors);
        result.AssertNoStackTrace();
        Assert.False(Directory.Exists(Root), $"{description}: {Root} was created\n{result}");
    }

    /// <summary>0 and 1 are meaningful: 0 fails on any unreadable image, 1 skips any number of them.</summary>
    [Fact]
    public void Max_bad_fraction_0_fails_on_one_bad_image_and_1_skips_it()
    {
        var root = Directory.CreateTempSubdirectory("hostile-usage-bad-").FullName;
        try
        {
            foreach (var split in new[] { "train", "test" })
            {
                foreach (var (cls, name) in new[] { (0, "stripes"), (1, "bars") })
                {
                    var dir = Directory.CreateDirectory(Path.Combine(root, "data", split, name)).FullName;
                    for (var i = 0; i < 6; i++)
                    {
                        File.WriteAllBytes(Path.Combine(dir, $"{i}.png"), HostileFiles.Picture(32, 32, cls, i, SKEncodedImageFormat.Png));
                    }
                }
            }

            // one bad image among 13 training images
            var bad = Path.Combine(root, "data", "train", "bars", "broken.png");
            File.WriteAllBytes(bad, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]);
            var model = Path.Combine(root, "model.zip");
            string[] Train(string fraction) => ["train", "--data", Path.Combine(root, "data"), "--max-iterations", "3", "--max-bad-fraction", fraction, "--out", model];

            var strict = Cli.Run(Train("0"));
            strict.AssertOneErrorNaming(bad);
            Assert.False(File.Exists(model), strict.ToString());

            var lenient = Cli.Run(Train("1"));
            Assert.True(lenient.ExitCode == 0, lenient.ToString());
            Assert.Contains(lenient.Warnings, w => w.Contains("broken.png", StringComparison.Ordinal));
            Assert.True(File.Exists(model), lenient.ToString());

            // a bad image in the test split counts as well: it used to be skipped whatever the threshold
            File.Move(bad, Path.Combine(root, "data", "test", "bars", "broken.png"));
            File.Delete(model);
            var strictOnTest = Cli.Run(Train("0"));
            strictOnTest.AssertOneErrorNaming(bad);
            Assert.False(File.Exists(model), strictOnTest.ToString());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
