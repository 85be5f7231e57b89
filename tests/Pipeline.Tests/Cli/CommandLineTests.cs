using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Tests.Cli;

public class CommandLineTests
{
    [Fact]
    public void Parses_values_flags_inline_values_and_positionals()
    {
        var line = CommandLine.Parse(["--model", "m.zip", "--json", "a.png", "--top=2", "b c.png"], ["model", "top"], ["json"], takesPositionals: true);
        Assert.Equal("m.zip", line.Get("model"));
        Assert.True(line.Has("json"));
        Assert.Equal(2, line.GetInt("top", 5));
        Assert.Equal(new[] { "a.png", "b c.png" }, line.Positionals);
    }

    [Fact]
    public void Unknown_option_and_missing_value_are_usage_errors()
    {
        Assert.Throws<UsageException>(() => CommandLine.Parse(["--modle", "x"], ["model"], []));
        Assert.Throws<UsageException>(() => CommandLine.Parse(["--model"], ["model"], []));
        var line = CommandLine.Parse(["--seed", "abc"], ["seed"], []);
        Assert.Throws<UsageException>(() => line.GetInt("seed", 1));
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
