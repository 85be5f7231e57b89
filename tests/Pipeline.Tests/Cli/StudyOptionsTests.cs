using System.Text.Json;
using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Pipeline.Comparison;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Tests.Cli;

/// <summary>--trainers auto, --trainer auto, --learning-curve and --folds: parsing, and one small compare that runs all three.</summary>
public class StudyOptionsTests
{
    private static CommandLine Check(params string[] args) => CommandLineTests.Check(args);

    [Fact]
    public void Compare_parses_the_study_options_and_defaults_to_a_cheap_learning_curve()
    {
        var plain = Check("compare", "--out", "r");
        Assert.Equal(LearningCurves.DefaultSizes, plain.Get(Opt.LearningCurve));
        Assert.Null(plain.Get(Opt.Folds));

        var line = Check("compare", "--out", "r", "--learning-curve", "5, 10,ALL", "--folds", "4", "--trainers", "auto");
        Assert.Equal([5, 10, LearningCurves.All], line.Get(Opt.LearningCurve));
        Assert.Equal(4, line.Get(Opt.Folds));
        Assert.Equal([new TrainerChoice(null)], line.Get(Opt.Trainers));
        Assert.Empty(Check("compare", "--out", "r", "--learning-curve", "none").Get(Opt.LearningCurve)!);
        Assert.Equal([new TrainerChoice(TrainerKind.Sdca), new TrainerChoice(TrainerKind.Lbfgs)], Check("compare", "--out", "r", "--trainer", "sdca,lbfgs").Get(Opt.TrainerList));

        var train = Check("train", "--trainer", "auto");
        Assert.True(train.Get(Opt.Trainer)!.IsAuto);
        Assert.Null(Check("train").Get(Opt.Trainer));
        Assert.Equal(TrainerKind.Sdca, Check("train", "--trainer", "sdca").Get(Opt.Trainer)!.Kind);
        Assert.Throws<UsageException>(() => Check("compare", "--out", "r", "--folds", "1"));
        Assert.Throws<UsageException>(() => Check("compare", "--out", "r", "--learning-curve", "all,all"));
    }

    [Fact]
    public void Auto_cannot_be_combined_with_trainer_names()
    {
        Assert.Equal(2, Program.Run(["compare", "--out", Path.Combine(Path.GetTempPath(), "never-" + Guid.NewGuid().ToString("N")), "--trainers", "auto,sdca"], TextWriter.Null, CancellationToken.None));
    }

    [Fact]
    public void A_small_compare_chooses_on_validation_draws_a_learning_curve_and_cross_validates()
    {
        var folder = Path.Combine(Path.GetTempPath(), "study-compare-" + Guid.NewGuid().ToString("N"));
        try
        {
            var output = new StringWriter();
            var code = Program.Run(
                ["compare", "--data", "fashion-mnist-mini", "--out", folder, "--pipelines", "handcrafted", "--max-train-per-class", "10", "--max-test-per-class", "4", "--trainers", "auto", "--learning-curve", "2,all", "--folds", "3"],
                output,
                CancellationToken.None);
            Assert.True(code == 0, output.ToString());
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "report.json")));
            var root = json.RootElement;
            var selection = root.GetProperty("selection")[0];
            Assert.Equal(3, selection.GetProperty("candidates").GetArrayLength()); // lbfgs, rff, lightgbm
            var chosen = selection.GetProperty("chosen").GetString();
            Assert.Equal(chosen, root.GetProperty("results")[0].GetProperty("trainer").GetString());
            Assert.Equal([2, 10], root.GetProperty("learningCurve").EnumerateArray().Select(p => p.GetProperty("trainPerClass").GetInt32()));
            Assert.Equal(3, root.GetProperty("folds")[0].GetProperty("metrics").GetProperty("accuracy").GetProperty("values").GetArrayLength());
            var markdown = File.ReadAllText(Path.Combine(folder, "report.md"));
            Assert.Contains("Chosen on validation, not on test", markdown, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
