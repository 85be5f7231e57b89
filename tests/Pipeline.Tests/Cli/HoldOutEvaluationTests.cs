using System.Globalization;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Evaluation;
using CliRunner = ImageWorkbench.Pipeline.Tests.Hostile.Cli;

namespace ImageWorkbench.Pipeline.Tests.Cli;

/// <summary><c>dataset export</c> then <c>evaluate --all</c>: classes matched by name, a subset allowed, unknown classes reported.</summary>
[Collection("Console")]
public sealed class HoldOutEvaluationTests(HandCraftedModelFixture model) : IClassFixture<HandCraftedModelFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("holdout-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Class_names_that_cannot_be_folders_round_trip_through_export()
    {
        var export = Path.Combine(_folder, "export");
        var run = CliRunner.Run("dataset", "export", "--out", export, "--split", "all");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(Directory.Exists(Path.Combine(export, "train", "T-shirt_top")), run.ToString());
        Assert.Contains("T-shirt_top\tT-shirt/top", File.ReadAllLines(Path.Combine(export, ClassFolderNames.MapFile)));

        var original = DatasetLoader.Load(EmbeddedDataset.Locate());
        var exported = DatasetLoader.Load(export);
        Assert.Equal(original.Classes.Order(StringComparer.Ordinal), exported.Classes.Order(StringComparer.Ordinal));
        Assert.Equal(original.Train.Count, exported.Train.Count);
        Assert.Equal(original.Test.Count, exported.Test.Count);

        // Exporting into a folder that is not empty is refused and changes nothing.
        var again = CliRunner.Run("dataset", "export", "--out", export);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("not empty", again.Errors.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_hold_out_with_some_classes_and_an_unknown_one_is_evaluated_by_name()
    {
        var holdOut = Path.Combine(_folder, "holdout");
        Assert.Equal(0, CliRunner.Run("dataset", "export", "--out", holdOut).ExitCode);
        Directory.Delete(Path.Combine(holdOut, "Bag"), recursive: true);
        Directory.Delete(Path.Combine(holdOut, "Sneaker"), recursive: true);
        var hats = Directory.CreateDirectory(Path.Combine(holdOut, "Hat")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(holdOut, "Coat")).Take(7))
        {
            File.Copy(file, Path.Combine(hats, Path.GetFileName(file)));
        }

        var run = CliRunner.Run("evaluate", "--model", model.ModelPath, "--data", holdOut, "--all");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("400 images", run.Out, StringComparison.Ordinal); // 8 classes x 50, all of them (not a 20 % share)
        Assert.Contains("8 of the model's 10", run.Out, StringComparison.Ordinal);
        Assert.Contains("7 images of class 'Hat'", run.Out, StringComparison.Ordinal);
        Assert.Contains("T-shirt/top", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Sneaker", run.Out, StringComparison.Ordinal);

        // Without --all the seeded test share only.
        var share = CliRunner.Run("evaluate", "--model", model.ModelPath, "--data", holdOut);
        Assert.True(share.ExitCode == 0, share.ToString());
        Assert.DoesNotContain("400 images", share.Out, StringComparison.Ordinal);

        // The accuracy predict's rows give against the folder names is evaluate's.
        var csv = Path.Combine(_folder, "preds.csv");
        Directory.Delete(hats, recursive: true);
        Assert.Equal(0, CliRunner.Run("predict", "--model", model.ModelPath, holdOut, "--out", csv).ExitCode);
        var names = ClassFolderNames.Apply(holdOut, [.. Directory.GetDirectories(holdOut).Select(Path.GetFileName).Order(StringComparer.Ordinal)!]);
        var folderToClass = Directory.GetDirectories(holdOut).Select(Path.GetFileName).Order(StringComparer.Ordinal).Zip(names).ToDictionary(p => p.First!, p => p.Second);
        var rows = File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')).ToArray();
        var accuracy = rows.Count(r => folderToClass[Path.GetFileName(Path.GetDirectoryName(r[0]))!] == r[1]) / (double)rows.Length;
        var evaluated = CliRunner.Run("evaluate", "--model", model.ModelPath, "--data", holdOut, "--all");
        Assert.Contains($"accuracy {accuracy.ToString("F4", CultureInfo.InvariantCulture)} ", evaluated.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Classes_match_by_name_or_by_folder_safe_name()
    {
        string[] modelClasses = ["T-shirt/top", "Trouser", "Bag"];
        Assert.Equal(new int?[] { 2, 0, null, 1 }, HoldOutEvaluation.MatchClasses(modelClasses, ["Bag", "T-shirt_top", "Hat", "Trouser"]));
        Assert.Equal(new int?[] { null }, HoldOutEvaluation.MatchClasses(["a/b", "a_b"], ["a_c"]));
        Assert.Equal(new int?[] { 1 }, HoldOutEvaluation.MatchClasses(["a/b", "a_b"], ["a_b"])); // the exact name wins
        Assert.Equal(["a_b", "a_b-2", "_..", "x"], ClassFolderNames.FolderNamesOf(["a/b", "a\\b", "..", "x"]));
    }
}
