using System.Text.RegularExpressions;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Pipelines;
using ImageWorkbench.Pipeline.Pipelines.HandCrafted;
using ImageWorkbench.Pipeline.Training;

namespace ImageWorkbench.Pipeline.Tests.Training;

/// <summary>The pipeline and data-format registries, and the rule that only a wing's own folder names its pipeline.</summary>
public class PipelineRegistryTests
{
    /// <summary>
    /// Files that still name a pipeline outside its wing, each with the change that removes it. Reports/ReportAnalysis.cs
    /// orders and words the CNN by name until the report rewrite reads <see cref="IPipelineWing.DisplayName"/>.
    /// </summary>
    private static readonly string[] Pending = [];

    [Fact]
    public void Pipelines_are_found_by_name_or_alias_ignoring_case_and_spaces()
    {
        Assert.True(PipelineRegistry.TryGet(" Hand-Crafted ", out var handCrafted));
        Assert.Equal("handcrafted", handCrafted.Name);
        Assert.Same(handCrafted, PipelineRegistry.Get("HANDCRAFTED"));
        Assert.Equal("cnn", PipelineRegistry.Get("cnn").Name);
        Assert.False(PipelineRegistry.TryGet("resnet", out _));
        Assert.Equal("cnn-scratch", PipelineRegistry.Get(" Scratch ").Name);
        Assert.Equal("handcrafted, cnn, hybrid, cnn-scratch or cnn-finetune", PipelineRegistry.KnownNames);
        Assert.Contains("known: handcrafted, cnn, hybrid, cnn-scratch or cnn-finetune", Assert.ThrowsAny<Exception>(() => PipelineRegistry.Get("resnet")).Message, StringComparison.Ordinal);
        Assert.Equal("hybrid", PipelineRegistry.Get(" Hybrid ").Name);
    }

    [Fact]
    public void Names_and_aliases_are_unique_and_each_wing_keeps_its_defaults()
    {
        var spellings = PipelineRegistry.All.SelectMany(p => p.Aliases.Append(p.Name)).ToList();
        Assert.Equal(spellings.Count, spellings.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal("handcrafted", PipelineRegistry.Default.Name);
        Assert.Equal([TrainerKind.Lbfgs, TrainerKind.Lbfgs, TrainerKind.Lbfgs, TrainerKind.Lbfgs, TrainerKind.Lbfgs], PipelineRegistry.All.Select(p => p.DefaultTrainer));
        Assert.Equal(["hand-crafted pipeline", "CNN", "hybrid (hand-crafted + CNN) pipeline", "CNN trained from scratch", "fine-tuned CNN"], PipelineRegistry.All.Select(p => p.DisplayName));
        Assert.Equal(["handcrafted", "cnn", "hybrid"], PipelineRegistry.RunByDefault.Select(p => p.Name));
    }

    [Theory]
    [InlineData(1, 3_000, TrainerKind.LightGbm)] // grey, a few thousand images: trees pay for their time
    [InlineData(1, 2_999, TrainerKind.Lbfgs)] // grey, fewer: no better on validation at many times the time
    [InlineData(3, 60_000, TrainerKind.Lbfgs)] // colour photos: ImageNet features are near linearly separable
    public void The_cnn_head_follows_the_kind_and_size_of_the_data(int channels, int trainImages, TrainerKind expected)
    {
        var data = WithTrainImages(trainImages, new ImageWorkbench.FeatureExtractors.ImageShape(28, 28, channels));
        Assert.Equal(expected, PipelineRegistry.Get("cnn").DefaultTrainerFor(data));
        Assert.Equal(TrainerKind.Lbfgs, PipelineRegistry.Get("cnn").DefaultTrainerFor(WithTrainImages(trainImages)));
        Assert.Equal(trainImages >= HandCraftedPipeline.RffFromImages ? TrainerKind.Rff : TrainerKind.Lbfgs, PipelineRegistry.Get("handcrafted").DefaultTrainerFor(data));
    }

    /// <summary>A data set of <paramref name="count"/> training images (one encoded placeholder repeated: the wings' default-head rules read only the count and the shape).</summary>
    internal static ImageDataset WithTrainImages(int count, ImageWorkbench.FeatureExtractors.ImageShape? nativeShape = null)
    {
        var image = new LabeledImage(ImageWorkbench.Runtime.Decoding.ImageSource.FromEncoded(new byte[] { 1 }, "a.png"), 0);
        return new ImageDataset("d", "memory", ["a", "b"], [.. Enumerable.Repeat(image, count)], [], hasOwnSplit: false, nativeShape);
    }

    [Fact]
    public void Data_formats_are_asked_IDX_first_so_a_folder_of_IDX_files_is_not_read_as_class_folders()
    {
        Assert.Equal(["idx", "folders", "manifest"], DataFormats.All.Select(f => f.Name));
    }

    [Fact]
    public void Only_a_wings_own_folder_names_its_pipeline()
    {
        var src = Path.Combine(ArchitectureTests.RepoRoot(), "src");
        var wingTypes = string.Join('|', PipelineRegistry.All.Select(p => Regex.Escape(p.GetType().Name)));
        var names = string.Join('|', PipelineRegistry.All.SelectMany(p => p.Aliases.Append(p.Name)).Select(Regex.Escape));
        var naming = new Regex($"\"({names})\"|\\b({wingTypes})\\b", RegexOptions.IgnoreCase);
        var offenders = new[] { "Pipeline", "Pipeline.Cli" }
            .SelectMany(project => Directory.EnumerateFiles(Path.Combine(src, project), "*.cs", SearchOption.AllDirectories))
            .Select(file => Path.GetRelativePath(src, file).Replace('\\', '/'))
            .Where(file => !file.Split('/').Any(part => part is "bin" or "obj") && !file.StartsWith("Pipeline/Pipelines/", StringComparison.Ordinal) && !Pending.Contains(file))
            .Where(file => naming.IsMatch(File.ReadAllText(Path.Combine(src, file))))
            .ToList();
        Assert.True(offenders.Count == 0, "a pipeline named outside its wing (src/Pipeline/Pipelines/<Name>/): ask the wing through IPipelineWing instead:\n" + string.Join("\n", offenders));
    }
}
