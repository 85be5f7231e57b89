using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Tests.Cli;

public class CommandLineTests
{
    internal static CommandLine Check(params string[] args)
    {
        var tree = Commands.Tree();
        return CommandLine.Check(tree.Parse(args), args, tree);
    }

    [Fact]
    public void Parses_values_flags_inline_values_and_positionals()
    {
        var line = Check("predict", "--model", "m.zip", "--json", "a.png", "--top=2", "b c.png");
        Assert.Equal("m.zip", line.Get(Opt.Model));
        Assert.True(line.Has(Opt.PredictJson));
        Assert.Equal(2, line.Get(Opt.Top));
        Assert.Equal(new[] { "a.png", "b c.png" }, line.Positionals);
    }

    [Fact]
    public void Options_not_given_read_as_their_defaults()
    {
        var line = Check("train");
        Assert.Equal(42, line.Get(Opt.Seed));
        Assert.Equal(0.01, line.Get(Opt.MaxBadFraction));
        Assert.Null(line.Get(Opt.MaxIterations));
        Assert.False(line.Given(Opt.Seed));
        Assert.False(line.Has(Opt.NoEval));

        // --input-size alone keeps the measured resize default (a typed default of 0 would be Stretch)
        var cnn = Check("train", "--pipeline", "cnn", "--input-size", "96");
        Assert.Equal(ImageWorkbench.Runtime.Cnn.CnnPreprocessing.Default.ResizeMode, cnn.Get(Opt.Resize));
        Assert.Equal("cnn", cnn.Get(Opt.Pipeline)!.Name);
        Assert.Equal(["handcrafted", "cnn", "hybrid"], Check("bench", "--out", "b.json").Get(Opt.Pipelines)!.Select(p => p.Name));
    }

    [Fact]
    public void Unknown_option_and_missing_value_are_usage_errors()
    {
        Assert.Throws<UsageException>(() => Check("evaluate", "--modle", "x"));
        Assert.Throws<UsageException>(() => Check("evaluate", "--model"));
        Assert.Throws<UsageException>(() => Check("train", "--seed", "abc"));
    }

    [Fact]
    public void Exit_codes_for_usage_and_help()
    {
        Assert.Equal(2, Program.Run([], TextWriter.Null, CancellationToken.None));
        Assert.Equal(0, Program.Run(["help"], TextWriter.Null, CancellationToken.None));
        Assert.Equal(2, Program.Run(["frobnicate"], TextWriter.Null, CancellationToken.None));
        Assert.Equal(2, Program.Run(["train", "--pipeline", "svm"], TextWriter.Null, CancellationToken.None));
    }

    [Fact]
    public void Failures_find_the_user_facing_cause_inside_wrappers()
    {
        var inner = new DatasetException("x.idx: wrong magic");
        var wrapped = new InvalidOperationException("cursor failed", new AggregateException(new InvalidOperationException("outer", inner)));
        Assert.Same(inner, Failures.Find(wrapped));
    }
}
