using System.Text.Json.Nodes;
using ImageWorkbench.Pipeline.Tests.Hostile;
using CliRunner = ImageWorkbench.Pipeline.Tests.Hostile.Cli;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Models;
using Microsoft.ML;

namespace ImageWorkbench.Pipeline.Tests.Models;

/// <summary>
/// Format 3 (ML.NET's zip with metadata.json and SHA256SUMS beside its entries): what plain ML.NET does not check,
/// the library does. An entry SHA256SUMS does not name, and metadata moved onto another model, are refused.
/// </summary>
[Collection("Console")]
public sealed class StandardPackageChecksTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public void An_entry_the_checksums_do_not_name_is_refused_though_ml_net_would_load_the_file()
    {
        var path = Path.Combine(tiny.Folder, "unlisted.zip");
        PackageCrafting.Rewrite(tiny.ModelPath, path, (_, bytes) => bytes, recomputeChecksums: true, add: ("TransformerChain/Extra/Model.key", [1, 2, 3]));
        Assert.NotNull(new MLContext().Model.Load(path, out _));
        var ex = Assert.Throws<ModelFormatException>(() => ModelPackage.Load(new MLContext(1), path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("SHA256SUMS", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metadata_moved_onto_another_model_is_refused_even_with_recomputed_checksums()
    {
        // the model entries of one package under the metadata of another: every SHA256SUMS line recomputed, but the
        // metadata's modelSha256 names the model it was written with
        var other = Path.Combine(tiny.Folder, "other.zip");
        var train = CliRunner.Run(TimeSpan.FromMinutes(3), "train", "--pipeline", "handcrafted", "--data", tiny.Data, "--seed", "7", "--trainer", "lbfgs", "--out", other);
        Assert.True(train.ExitCode == 0, train.ToString());
        var metadata = PackageCrafting.Entry(tiny.ModelPath, ModelPackage.MetadataEntry);
        var moved = Path.Combine(tiny.Folder, "moved.zip");
        PackageCrafting.Rewrite(other, moved, (entry, bytes) => entry == ModelPackage.MetadataEntry ? metadata : bytes);
        var ex = Assert.Throws<ModelFormatException>(() => ModelPackage.Load(new MLContext(1), moved));
        Assert.Contains("does not match its recorded checksum", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ModelPackage.Load(new MLContext(1), other));
    }

    [Fact]
    public void A_format_2_number_in_a_format_3_file_is_refused()
    {
        var path = Path.Combine(tiny.Folder, "says-2.zip");
        PackageCrafting.Rewrite(tiny.ModelPath, path, (entry, bytes) => entry == ModelPackage.MetadataEntry ? PackageCrafting.EditJson(bytes, m => m["formatVersion"] = 2) : bytes);
        Assert.Contains("laid out as format 3", Assert.Throws<ModelFormatException>(() => ModelPackage.Load(new MLContext(1), path)).Message, StringComparison.Ordinal);
    }
}
