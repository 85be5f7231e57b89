using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Pipeline.Comparison;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Pipelines.CnnFinetune;
using ImageWorkbench.Pipeline.Pipelines.CnnScratch;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;

namespace ImageWorkbench.Pipeline.Cli;

/// <summary>
/// Every option of every command, each defined once. The commands (Commands.Table) list which of these they take;
/// the help, tab completion and README's CLI reference (<see cref="CliReference"/>) are made from the same objects.
/// </summary>
internal static partial class Opt
{
    /// <summary>The pipelines' names, from the registry: a new wing shows up in the help and completion by itself.</summary>
    private static readonly string[] PipelineNames = [.. PipelineRegistry.All.Select(p => p.Name)];

    /// <summary>The --resize spellings; "centercrop" is also taken.</summary>
    private static readonly Dictionary<string, ResizeMode> ResizeNames = new(StringComparer.Ordinal)
    {
        ["stretch"] = ResizeMode.Stretch,
        ["pad"] = ResizeMode.Pad,
        ["center-crop"] = ResizeMode.CenterCrop,
    };

    private static readonly string[] TrainerNames = Training.Trainers.KnownNames.Split(", ");

    /// <summary>The trainer names plus "auto" (choose on the validation split).</summary>
    private static readonly string[] TrainerOrAutoNames = [.. TrainerNames, Commands.AutoTrainer];

    // The data options, shared by every command that reads a data set.
    public static readonly CliOption<string> Data = CliOptions.Text(
        "data", "PATH", "The data set: a folder per class (optionally with train/ and test/ or val/ subfolders), an IDX folder (MNIST family, .gz or raw), a CSV/TSV manifest of path,label lines, or an embedded set by name (fashion-mnist-mini, caltech101-mini); compare takes several, comma-separated, and reports them side by side",
        "the embedded datasets/fashion-mnist-mini (compare: both embedded sets)");

    public static readonly CliOption<int> Seed = CliOptions.Int("seed", "Seed of the split, the subsamples and the trainers: the same seed and data give the same figures", 42, 0);

    public static readonly CliOption<double> TestFraction = CliOptions.Number("test-fraction", "Share of the images held out for testing when the data has no split of its own", 0.2, 0, 1);

    public static readonly CliOption<int?> MaxTrainPerClass = CliOptions.OptionalInt("max-train-per-class", "At most this many training images per class, a seeded stratified subsample", 1, defaultText: "all");

    public static readonly CliOption<int?> MaxTestPerClass = CliOptions.OptionalInt("max-test-per-class", "At most this many test images per class, a seeded stratified subsample", 1, defaultText: "all");

    public static readonly CliOption<double> MaxBadFraction = CliOptions.Number(
        "max-bad-fraction", "Share of unreadable images (training and test alike) skipped with a warning naming the file before the run fails; 0 fails on the first one, 1 never fails", 0.01, 0, 1, ends: true);

    public static readonly CliOption[] DataOptions = [Data, Seed, TestFraction, MaxTrainPerClass, MaxTestPerClass, MaxBadFraction];

    // train
    public static readonly CliOption<IPipelineWing> Pipeline = CliOptions.Choice("pipeline", "The pipeline to train", PipelineNames, p => Commands.ParsePipeline("pipeline", p), PipelineRegistry.Default.Name);

    public static readonly CliOption<string> ModelOut = CliOptions.Text("out", "FILE", "The model package to write", "handcrafted-model.zip or cnn-model.zip");

    /// <summary>Null when not given (the pipeline's default).</summary>
    public static readonly CliOption<TrainerChoice> Trainer = CliOptions.Choice(
        "trainer", "The trainer of the classification head; auto tries every trainer on a validation split carved from train and keeps the best", TrainerOrAutoNames, t => Commands.ParseTrainerOrAuto("trainer", t), defaultText: "the pipeline's default");

    public static readonly CliOption<string> FeatureSet = CliOptions.Choice("feature-set", "The hand-crafted feature set (train: handcrafted only)", FeatureSetPresets.Names, Commands.ParseFeatureSet, defaultText: "chosen from the data's image shape and size (README's feature-set table)");

    public static readonly CliOption<int?> MaxIterations = CliOptions.OptionalInt("max-iterations", "Caps the trainer's iterations, for quick trial runs", 1, 100_000, "the trainer's default");

    public static readonly CliOption<bool> NoEval = CliOptions.Switch("no-eval", "Skip the evaluation on the test split");

    public static readonly CliOption<int> InputSize = new(
        "input-size", "N", "Side of the CNN's square input in pixels, a multiple of 32 from 32 to 1024, e.g. 224, 192, 160, 128 or 96 (cnn; cnn-finetune, whose default is 64 for images up to 64 px a side, else 224)",
        ParseInputSize, CnnPreprocessing.Default.InputSize, CnnPreprocessing.Default.InputSize.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static readonly CliOption<ResizeMode> Resize = CliOptions.Choice(
        "resize", "How an image is fitted to the CNN's square input (cnn, cnn-finetune)", [.. ResizeNames.Keys], ParseResize, ResizeNames.Single(n => n.Value == CnnPreprocessing.Default.ResizeMode).Key);

    public static readonly CliOption<bool> NoCache = CliOptions.Switch("no-cache", "Compute the CNN features afresh instead of reading and filling the feature cache (cnn only)");

    public static readonly CliOption<string> CacheDir = CliOptions.Text(
        "cache-dir", "DIR", "The CNN feature cache folder", "$IMAGE_WORKBENCH_CACHE, else $XDG_CACHE_HOME/image-workbench/features or ~/.cache/image-workbench/features");

    public static readonly CliOption<CnnPrecision> BackbonePrecision = CliOptions.Choice(
        "backbone-precision", "The ResNet18 backbone's arithmetic: the packaged float network, or its int8 (QDQ) build, about 3x the images per CPU-second with slightly different features (cnn only)", ["float", "int8"],
        text => text.Trim().ToLowerInvariant() switch
        {
            "float" or "fp32" => CnnPrecision.Float,
            "int8" => CnnPrecision.Int8,
            _ => throw new UsageException($"--backbone-precision must be float or int8, got '{text}'"),
        },
        "float");

    public static readonly CliOption[] CnnOptions = [InputSize, Resize, BackbonePrecision, CacheDir];

    // train --pipeline cnn-scratch or cnn-finetune (defaults from CnnScratchOptions and CnnFinetuneOptions, the one place they are set)
    private static readonly CnnScratchOptions ScratchDefaults = new();

    private static readonly CnnFinetuneOptions FinetuneDefaults = new();

    private static string Inv(FormattableString text) => FormattableString.Invariant(text);

    public static readonly CliOption<ScratchArchitecture> Architecture = CliOptions.Choice(
        "architecture", "The network trained from scratch: three conv-bn-relu-pool blocks, or LeNet-5 (cnn-scratch only)", ["small", "lenet5"],
        text => text.Trim().ToLowerInvariant() switch
        {
            "small" => ScratchArchitecture.Small,
            "lenet5" or "lenet-5" => ScratchArchitecture.LeNet5,
            _ => throw new UsageException($"--architecture must be small or lenet5, got '{text}'"),
        },
        "small");

    public static readonly CliOption<int> Epochs = CliOptions.Int(
        "epochs", Inv($"Most passes over the training images; early stopping may end sooner (cnn-scratch; cnn-finetune, default {FinetuneDefaults.Epochs})"), ScratchDefaults.Epochs, 1, 1000);

    public static readonly CliOption<int> BatchSize = CliOptions.Int(
        "batch-size", Inv($"Images per training step (cnn-scratch; cnn-finetune, default {FinetuneDefaults.BatchSize})"), ScratchDefaults.BatchSize, 1, 4096);

    public static readonly CliOption<double> LearningRate = CliOptions.Number(
        "learning-rate", Inv($"Adam's initial learning rate, lowered by a cosine schedule to 2 % by the last epoch (cnn-scratch; cnn-finetune, default {FinetuneDefaults.LearningRate})"), ScratchDefaults.LearningRate, 0, 1);

    public static readonly CliOption<int> Patience = CliOptions.Int(
        "patience", Inv($"Early stopping: epochs without a better validation accuracy (validation split carved from train) before training stops; the best epoch's weights are kept (cnn-scratch; cnn-finetune, default {FinetuneDefaults.Patience})"), ScratchDefaults.Patience, 1, 1000);

    public static readonly CliOption<int?> Threads = CliOptions.OptionalInt("threads", "LibTorch threads for training; more than one collapsed on a loaded machine (cnn-scratch, cnn-finetune)", 1, 256, "1");

    public static readonly CliOption[] ScratchOptions = [Architecture, Epochs, BatchSize, LearningRate, Patience, Threads];

    public static readonly CliOption<int> TrainedStages = CliOptions.Int(
        "trained-stages", "How many of ResNet18's four stages, counted from the last, are fine-tuned with the new head; 0 trains the head only, 4 every convolution (cnn-finetune only)", FinetuneDefaults.TrainedStages, 0, 4);

    public static readonly CliOption<bool> NoFlip = CliOptions.Switch("no-flip", "No random left-right mirroring in the augmentation, for sets where a mirror image is another class (digits, text) (cnn-finetune only)");

    public static readonly CliOption<int?> MaxMinutes = CliOptions.OptionalInt(
        "max-minutes", "Training-time budget in minutes: no epoch is started that would end after it, and an epoch still running at it ends there (validated like a whole one) (cnn-finetune only)", 1, 100_000, "none");

    /// <summary>The options cnn-finetune reads beyond <see cref="ScratchOptions"/>' shared ones and <see cref="CnnOptions"/>' input size and resize.</summary>
    public static readonly CliOption[] FinetuneOptions = [TrainedStages, NoFlip, MaxMinutes];

    // evaluate, predict
    public static readonly CliOption<string> Model = CliOptions.Text("model", "FILE", "The model package");

    public static readonly CliOption<bool> EvaluateAll = CliOptions.Switch("all", "Evaluate on every image of --data, not only its test split (for a hold-out folder the model never saw)");

    public static readonly CliOption<string> MetricsJson = CliOptions.Text("json", "FILE", "Also write the metrics as JSON to this file");

    public static readonly CliOption<int> Top = CliOptions.Int("top", "Scores shown per image", 3, 1, 1000);

    public static readonly CliOption<bool> PredictJson = CliOptions.Switch("json", "Print the predictions as JSON");

    public static readonly CliOption<string> PredictOut = CliOptions.Text("out", "FILE", "Write one row per image, as it goes, to this .csv or .jsonl file (written whole or not at all) instead of lines on stdout");

    public static readonly CliOption<int> TopK = CliOptions.Int("top-k", "With --out: label_N,score_N columns for the N best classes", 0, 0, 1000);

    public static readonly CliOption<double> MinConfidence = CliOptions.Number("min-confidence", "An answer whose best score is below this is given as 'unknown'", 0, 0, 1, ends: true);

    public static readonly CliOption<double> PredictMaxBadFraction = CliOptions.Number(
        "max-bad-fraction", "Share of unreadable images (each an error line or row) before predict exits 1; 0 fails on any, 1 never fails", 0, 0, 1, ends: true);

    // compare, bench
    public static readonly CliOption<IReadOnlyList<IPipelineWing>> Pipelines = CliOptions.List(
        "pipelines", string.Join(',', PipelineNames), "The pipelines to run, comma-separated", p => Commands.ParsePipeline("pipelines", p), string.Join(',', PipelineRegistry.RunByDefault.Select(p => p.Name)), PipelineNames);

    /// <summary>"auto" is allowed alone only (checked by <see cref="Commands"/>).</summary>
    public static readonly CliOption<IReadOnlyList<TrainerChoice>> Trainers = CliOptions.List(
        "trainers", "T,...|auto", $"The trainers to run on each pipeline, comma-separated ({string.Join(", ", TrainerNames)}), or auto: per pipeline, the trainer best on a validation split carved from train; a pipeline that trains its own network (cnn-scratch) runs once", t => Commands.ParseTrainerOrAuto("trainers", t), allowed: TrainerOrAutoNames, defaultText: "each pipeline's default");

    public static readonly CliOption<IReadOnlyList<TrainerChoice>> TrainerList = CliOptions.List(
        "trainer", "T,...|auto", "The same as --trainers (give one of them)", t => Commands.ParseTrainerOrAuto("trainer", t), allowed: TrainerOrAutoNames);

    public static readonly CliOption<IReadOnlyList<int>> LearningCurve = new(
        "learning-curve", "N,...|none", "Training images per class at each point of the learning curve (all: the whole training split), or none",
        ParseLearningCurve, LearningCurves.DefaultSizes, "5,10,25,50,all");

    public static readonly CliOption<int?> Folds = CliOptions.OptionalInt("folds", "Also run K-fold cross-validation on the training split (seeded, stratified): mean and standard deviation of each metric", 2, 20, "none");

    public static readonly CliOption<IReadOnlyList<string>> Models = CliOptions.List(
        "models", "FILE,...", "Compare these model packages, trained earlier, on the test split of --data instead of training", Path.GetFullPath);

    public static readonly CliOption<string> ReportOut = CliOptions.Text("out", "DIR", "The report folder: report.md, report.html, report.json, pictures and the models");

    public static readonly CliOption<string> Readme = CliOptions.Text("readme", "FILE", "Also replace a generated block of this Markdown file with the results table");

    public static readonly CliOption<string> CompareSection = CliOptions.Text("section", "NAME", "The name of the generated results block in --readme", "results-<data set name>");

    public static readonly CliOption<string> BenchOut = CliOptions.Text("out", "FILE", "The bench.json to write");

    public static readonly CliOption<string> BenchSection = CliOptions.Text("section", "NAME", "The name of the generated performance block in --readme", "performance-<data set name>");

    // features, dataset subset
    public static readonly CliOption<string> Image = CliOptions.Text("image", "FILE", "The image to draw the features of");

    public static readonly CliOption<string> PicturesOut = CliOptions.Text("out", "DIR", "The folder for gx.png, gy.png, magnitude.png and hog.png");

    public static readonly CliOption<string> SubsetOut = CliOptions.Text("out", "DIR", "The folder for the subset's IDX .gz files");

    public static readonly CliOption<string> ExportOut = CliOptions.Text("out", "DIR", "The new (or empty) folder for the class folders and class-names.tsv");

    public static readonly CliOption<Export.ExportSplit> ExportSplit = CliOptions.Choice(
        "split", "Which images: test or train into DIR/<class>/, all into DIR/train/<class>/ and DIR/test/<class>/", ["test", "train", "all"], ParseExportSplit, "test");

    public static readonly CliOption<int?> TrainPerClass = CliOptions.OptionalInt("train-per-class", "Training images per class in the subset", 1);

    public static readonly CliOption<int?> TestPerClass = CliOptions.OptionalInt("test-per-class", "Test images per class in the subset", 1);

    /// <summary>On every command (recursive): a failure prints its stack trace after the <c>error:</c> line.</summary>
    public static readonly CliOption<bool> Verbose = CliOptions.Switch("verbose", "Print the stack trace of a failure");

    private static int ParseInputSize(string text)
    {
        if (!int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var size) || size < 32 || size > 1024)
        {
            throw new UsageException($"--input-size must be a whole number from 32 to 1024, got '{text}'");
        }

        try
        {
            ResNet18Model.ValidateInputSize(size);
        }
        catch (WorkbenchException ex)
        {
            throw new UsageException($"--input-size: {ex.Message}");
        }

        return size;
    }

    private static Export.ExportSplit ParseExportSplit(string text) => text switch
    {
        "test" => Export.ExportSplit.Test,
        "train" => Export.ExportSplit.Train,
        "all" => Export.ExportSplit.All,
        _ => throw new UsageException($"--split must be test, train or all, got '{text}'"),
    };

    /// <summary>"none", or sizes per class ("all" for the whole split), each at least 1, none twice.</summary>
    private static List<int> ParseLearningCurve(string text)
    {
        if (text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        var sizes = new List<int>();
        foreach (var entry in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var size = entry.Equals("all", StringComparison.OrdinalIgnoreCase) ? LearningCurves.All
                : int.TryParse(entry, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 1 ? n
                : throw new UsageException($"--learning-curve takes whole numbers from 1, all, or none; got '{entry}' in '{text}'");
            if (sizes.Contains(size))
            {
                throw new UsageException($"--learning-curve names '{entry}' twice");
            }

            sizes.Add(size);
        }

        return sizes;
    }

    // Names only: Enum.TryParse would also take numbers ("7") and flag lists ("pad,stretch").
    private static ResizeMode ParseResize(string text) =>
        ResizeNames.TryGetValue(text.Trim().ToLowerInvariant() is "centercrop" ? "center-crop" : text.Trim().ToLowerInvariant(), out var mode)
            ? mode
            : throw new UsageException($"--resize must be {string.Join(", ", ResizeNames.Keys)}, got '{text}'");
}
