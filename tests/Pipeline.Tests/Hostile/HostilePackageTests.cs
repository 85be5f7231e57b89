using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using ImageWorkbench.Pipeline.Pipelines.Cnn;
using ImageWorkbench.Pipeline.Tests.Models;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>
/// Crafted model packages: edited metadata, extra or repeated entries, zip bombs, ONNX networks that read files
/// from the temp folder. Every one is refused with one error naming the package, before it costs memory.
/// </summary>
[Collection("Console")]
public sealed class HostilePackageTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    private string Forged(string name, Action<JsonObject> change, bool recomputeChecksums = true)
    {
        var path = Path.Combine(tiny.Folder, name);
        PackageCrafting.Rewrite(tiny.ModelPath, path, (entry, bytes) => entry == ModelPackage.MetadataEntry ? PackageCrafting.EditJson(bytes, change) : bytes, recomputeChecksums);
        return path;
    }

    private void AssertRefused(string model, string because)
    {
        var predict = Cli.Run("predict", "--model", model, tiny.Image);
        predict.AssertOneErrorNaming(model);
        Assert.True(predict.Errors[0].Contains(because, StringComparison.Ordinal), $"expected '{because}' in the error\n{predict}");
        Assert.Equal(string.Empty, predict.Out);
    }

    [Fact]
    public void Swapped_class_names_in_the_metadata_fail_the_checksum()
    {
        var swapped = Forged("swapped.zip", m => m["classes"] = new JsonArray("b", "a"), recomputeChecksums: false);
        AssertRefused(swapped, "metadata does not match its recorded checksum");
        var evaluate = Cli.Run("evaluate", "--model", swapped, "--data", tiny.Data);
        evaluate.AssertOneErrorNaming(swapped);
    }

    [Fact]
    public void A_format_1_package_built_the_old_way_still_loads_with_the_same_scores()
    {
        // what main wrote before format 2: metadata.json (formatVersion 1, modelSha256) and mlnet-model.zip, nothing else
        var old = Path.Combine(tiny.Folder, "format1.zip");
        PackageCrafting.Rewrite(LegacyPackages.Format2HandCrafted, old, (entry, bytes) => entry switch
        {
            ModelPackage.ChecksumsEntry => null,
            ModelPackage.MetadataEntry => PackageCrafting.EditJson(bytes, m => m["formatVersion"] = 1),
            _ => bytes,
        }, recomputeChecksums: false);

        var before = Cli.Run("predict", "--model", LegacyPackages.Format2HandCrafted, LegacyPackages.Image);
        var after = Cli.Run("predict", "--model", old, LegacyPackages.Image);
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.Equal(before.Out, after.Out);
        Assert.Equal(1, ModelPackage.ReadMetadata(old).FormatVersion);
    }

    [Fact]
    public void A_format_2_package_without_its_checksums_is_refused()
    {
        var path = Path.Combine(tiny.Folder, "no-sums.zip");
        PackageCrafting.Rewrite(tiny.ModelPath, path, (entry, bytes) => entry == ModelPackage.ChecksumsEntry ? null : bytes, recomputeChecksums: false);
        AssertRefused(path, "SHA256SUMS");
    }

    [Fact]
    public void A_new_package_checksums_every_entry()
    {
        // format 3: ML.NET's own entries, then ours; SHA256SUMS names every other entry
        using var zip = ZipFile.OpenRead(tiny.ModelPath);
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Equal([ModelPackage.MetadataEntry, ModelPackage.ChecksumsEntry], names[^2..]);
        Assert.Contains("TransformerChain/Model.key", names);
        using var reader = new StreamReader(zip.GetEntry(ModelPackage.ChecksumsEntry)!.Open());
        var lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(names.Count - 1, lines.Length);
        foreach (var entry in names[..^1])
        {
            using var stream = zip.GetEntry(entry)!.Open();
            Assert.Contains($"{Convert.ToHexString(SHA256.HashData(stream))}  {entry}", lines);
        }
    }

    public static TheoryData<string, string, string> BadMetadata => new()
    {
        { "classes-null", """{"classes": null}""", "lacks a required section" },
        { "input-null", """{"input": null}""", "lacks a required section" },
        { "training-null", """{"training": null}""", "lacks a required section" },
        { "class-name-null", """{"classes": [null, "b"]}""", "class 0 in the package metadata has no name" },
        { "class-name-empty", """{"classes": ["a", " "]}""", "class 1 in the package metadata has no name" },
        { "class-names-twice", """{"classes": ["a", "a"]}""", "names class 'a' twice" },
        { "class-name-huge", $$"""{"classes": ["a", "{{new string('b', 5000)}}"]}""", "characters" },
        { "shape-huge", """{"input": {"width": 12000, "height": 12000, "channels": 3, "resizeMode": "Stretch", "scale": 1}}""", "input shape 12000x12000x3" },
        { "shape-overflow", """{"input": {"width": 2147483647, "height": 2147483647, "channels": 3, "resizeMode": "Stretch", "scale": 1}}""", "input shape" },
        { "shape-negative", """{"input": {"width": -64, "height": 64, "channels": 3, "resizeMode": "Stretch", "scale": 1}}""", "input shape" },
        { "resize-unknown", """{"input": {"width": 64, "height": 64, "channels": 3, "resizeMode": "Bogus", "scale": 1}}""", "unknown resize mode 'Bogus'" },
        { "resize-number", """{"input": {"width": 64, "height": 64, "channels": 3, "resizeMode": "7", "scale": 1}}""", "unknown resize mode '7'" },
        { "scale-zero", """{"input": {"width": 64, "height": 64, "channels": 3, "resizeMode": "Stretch", "scale": 0}}""", "pixel scale" },
        { "scale-infinite", """{"input": {"width": 64, "height": 64, "channels": 3, "resizeMode": "Stretch", "scale": 1e39}}""", "pixel scale of Infinity" },
        { "feature-length-negative", """{"featureLength": -1}""", "feature length of -1" },
        { "too-many-classes", $$"""{"classes": [{{string.Join(", ", Enumerable.Range(0, 10_001).Select(i => $"\"c{i}\""))}}]}""", "10,001 classes" },
        { "pipeline-unknown", """{"pipelineKind": "quantum"}""", "unknown pipeline 'quantum'" },
        { "feature-set-unknown", """{"featureSet": "bogus"}""", "unknown feature set 'bogus'" },
        { "negative-count", """{"training": {"trainCount": -5, "skippedImages": 0, "featurizeSeconds": 0, "trainSeconds": 0, "trainAccuracy": 1}}""", "negative or non-finite" },
        { "class-count-mismatch", """{"classes": ["a", "b", "c"]}""", "scores 2 classes but the metadata names 3" },
    };

    [Theory]
    [MemberData(nameof(BadMetadata))]
    public void Bad_metadata_behind_a_valid_checksum_is_one_error_line(string name, string patch, string because)
    {
        var model = Forged($"{name}.zip", m => PackageCrafting.Merge(m, JsonNode.Parse(patch)!.AsObject()));
        AssertRefused(model, because);
    }

    [Fact]
    public void Compare_models_with_a_package_without_training_section_is_one_error_line()
    {
        var outDir = Path.Combine(tiny.Folder, "compare-no-training");
        foreach (var model in new[] { Forged("null-training.zip", m => m["training"] = null), Forged("no-training.zip", m => m.Remove("training")) })
        {
            var compare = Cli.Run("compare", "--models", model, "--data", tiny.Data, "--out", outDir);
            compare.AssertOneErrorNaming(model);
            Assert.False(File.Exists(Path.Combine(outDir, "report.json")));
        }
    }

    [Fact]
    public void A_huge_metadata_json_is_refused_by_its_size()
    {
        var model = Forged("huge-metadata.zip", m => m["dataset"] = new string('x', 3 << 20));
        AssertRefused(model, "more than the 1,048,576 accepted");
    }

    [Fact]
    public void A_zip_bomb_inside_the_ml_net_model_is_refused_before_it_inflates()
    {
        var path = Path.Combine(tiny.Folder, "inner-bomb.zip");
        // format 3: the ML.NET entries are the package's own; one of them, checksummed, inflates 64 MiB of zeros
        PackageCrafting.Rewrite(tiny.ModelPath, path, (entry, bytes) => entry == "TrainingInfo/Version.txt" ? new byte[64 << 20] : bytes);
        AssertRefused(path, "the model inside the package declares more than");
    }

    [Fact]
    public void Extra_repeated_and_escaping_entries_are_refused()
    {
        var extra = Path.Combine(tiny.Folder, "extra.zip");
        PackageCrafting.Rewrite(tiny.ModelPath, extra, (entry, b) => entry == ModelPackage.ChecksumsEntry ? null : b, recomputeChecksums: false, add: ("../../evil.txt", "x"u8.ToArray()));
        AssertRefused(extra, "unexpected entry '../../evil.txt'");

        var twice = Path.Combine(tiny.Folder, "twice.zip");
        var forgedMetadata = PackageCrafting.EditJson(PackageCrafting.Entry(tiny.ModelPath, ModelPackage.MetadataEntry), m => m["classes"] = new JsonArray("b", "a"));
        PackageCrafting.Rewrite(tiny.ModelPath, twice, (entry, b) => entry == ModelPackage.ChecksumsEntry ? null : b, recomputeChecksums: false, add: (ModelPackage.MetadataEntry, forgedMetadata));
        AssertRefused(twice, "appears twice");

        var many = Path.Combine(tiny.Folder, "many.zip");
        var filler = Enumerable.Range(0, 5000).Select(i => ($"f{i}", Array.Empty<byte>())).ToArray();
        PackageCrafting.Rewrite(tiny.ModelPath, many, (_, b) => b, recomputeChecksums: false, add: filler);
        using var zip = ZipFile.OpenRead(tiny.ModelPath);
        AssertRefused(many, $"{zip.Entries.Count + 5000:N0} entries");
    }

    [Fact]
    public void An_encrypted_entry_is_refused()
    {
        var path = Path.Combine(tiny.Folder, "encrypted.zip");
        var bytes = File.ReadAllBytes(tiny.ModelPath);
        PackageCrafting.MarkEncrypted(bytes, ModelPackage.MetadataEntry);
        File.WriteAllBytes(path, bytes);
        AssertRefused(path, "encrypted");
    }

    [Fact]
    public void An_onnx_network_reading_an_external_file_from_the_temp_folder_is_refused()
    {
        // The probe sits where ML.NET 5 used to write its copy of the network: ONNX Runtime resolves an
        // initializer's external data next to that copy, so before the fix the package read this file.
        var probeName = $"probe-{Guid.NewGuid():N}.bin";
        var probe = Path.Combine(Path.GetTempPath(), probeName);
        File.WriteAllBytes(probe, new byte[12]);
        try
        {
            var package = TinyOnnxPackage.Save(Path.Combine(tiny.Folder, "onnx-good.zip"));
            var crafted = Path.Combine(tiny.Folder, "onnx-external.zip");
            PackageCrafting.Rewrite(package, crafted, (name, b) => name.EndsWith("/OnnxModel", StringComparison.Ordinal) ? TinyOnnxPackage.MlNetByteArray(TinyOnnxPackage.Network(externalLocation: probeName)) : b);

            Assert.NotNull(ModelPackage.Load(new MLContext(1), package));
            var ex = Assert.Throws<ModelFormatException>(() => ModelPackage.Load(new MLContext(1), crafted));
            Assert.Contains(crafted, ex.Message, StringComparison.Ordinal);
            Assert.Contains($"external file '{probeName}'", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(probe);
        }
    }

    [Fact]
    public void An_external_tensor_in_a_subgraph_attribute_is_refused_too()
    {
        var subgraph = ProtoField.OfMessage(6, [ProtoField.OfString(2, "branch"), TinyOnnxPackage.Weights(5, "elsewhere.bin")]);
        var attribute = ProtoField.OfMessage(5, [ProtoField.OfString(1, "then_branch"), subgraph]);
        var node = ProtoField.OfMessage(1, [ProtoField.OfString(4, "If"), attribute]);
        var model = Proto.Serialize([ProtoField.OfMessage(7, [node])]);
        Assert.Contains("'elsewhere.bin'", OnnxSelfContainedCheck.FindProblem(model), StringComparison.Ordinal);
        Assert.Null(OnnxSelfContainedCheck.FindProblem(TinyOnnxPackage.Network(externalLocation: null)));

        // a tensor declaring 2^40 x 2^40 elements, and graphs nested until the stack would end
        var huge = ProtoField.OfMessage(5, [ProtoField.OfVarint(1, 1UL << 40), ProtoField.OfVarint(1, 1UL << 40), ProtoField.OfString(8, "huge")]);
        Assert.Contains("impossible shape", OnnxSelfContainedCheck.FindProblem(Proto.Serialize([ProtoField.OfMessage(7, [huge])])), StringComparison.Ordinal);
        var nested = ProtoField.OfString(2, "leaf");
        for (var i = 0; i < 100; i++)
        {
            nested = ProtoField.OfMessage(1, [ProtoField.OfMessage(5, [ProtoField.OfMessage(6, [nested])])]); // node > attribute > graph
        }

        Assert.Contains("nests more than", OnnxSelfContainedCheck.FindProblem(Proto.Serialize([ProtoField.OfMessage(7, [nested])])), StringComparison.Ordinal);
    }

    [Fact]
    public void Loading_a_package_with_an_onnx_network_leaves_no_copy_in_the_temp_folder()
    {
        var package = TinyOnnxPackage.Save(Path.Combine(tiny.Folder, "onnx-temp.zip"));
        var network = TinyOnnxPackage.Network(externalLocation: null);
        var temp = Path.GetTempPath();
        var options = new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3, IgnoreInaccessible = true };
        var before = Directory.GetFiles(temp, "*", options).ToHashSet();

        // not disposed on purpose: evaluate and compare never disposed it, and the copy stayed until the process ended
        var loaded = ModelPackage.Load(new MLContext(1), package);
        Assert.NotNull(loaded.Model);

        var copies = Directory.GetFiles(temp, "*", options).Where(f => !before.Contains(f) && Holds(f, network));
        Assert.Empty(copies);

        static bool Holds(string file, byte[] network)
        {
            try
            {
                // ML.NET's copy is the network itself (no length prefix)
                return new FileInfo(file).Length == network.Length && File.ReadAllBytes(file).AsSpan().SequenceEqual(network);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false; // gone already, or someone else's
            }
        }
    }

    [Fact]
    public void An_unwritable_temp_folder_is_one_error_line_naming_the_package()
    {
        // TMPDIR a regular file: every folder ML.NET wants under it fails, like a full disk, but portably
        var notAFolder = Path.Combine(tiny.Folder, "tmpdir-is-a-file");
        File.WriteAllText(notAFolder, "x");
        // predict scores this linear model from the package's scorer entry: ML.NET's loader, the one writer to the
        // temp folder, is never reached, so the run succeeds
        var predict = RunWithTempFolder(notAFolder, "predict", "--model", tiny.ModelPath, tiny.Image);
        Assert.True(predict.Code == 0, predict.Err);

        var (code, _, err) = RunWithTempFolder(notAFolder, "evaluate", "--model", tiny.ModelPath, "--data", tiny.Data);
        var errors = err.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToArray();
        Assert.True(code == 1 && errors.Length == 1, err);
        Assert.Contains(tiny.ModelPath, errors[0], StringComparison.Ordinal);
        Assert.Contains("temp folder", errors[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    /// <summary>The real CLI in a child process with <c>TMPDIR</c> set (the in-process runner shares this process's temp folder).</summary>
    private static (int Code, string Out, string Err) RunWithTempFolder(string tempFolder, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(Cli.RepoRoot(), "src", "Pipeline.Cli", "bin", "Release", "net10.0", "ImageWorkbench.Pipeline.Cli.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["TMPDIR"] = tempFolder;
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"pipeline {string.Join(' ', args)} did not finish within 60 s");
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    [Fact]
    public void Temp_folders_of_ended_processes_are_deleted_and_live_ones_kept()
    {
        var root = Directory.CreateTempSubdirectory("onnx-sweep-").FullName;
        try
        {
            var dead = Directory.CreateDirectory(Path.Combine(root, "pipeline-onnx-2147483000-abc")).FullName;
            File.WriteAllBytes(Path.Combine(dead, "network"), new byte[16]);
            var live = Directory.CreateDirectory(Path.Combine(root, $"pipeline-onnx-{Environment.ProcessId}-def")).FullName;
            var unrelated = Directory.CreateDirectory(Path.Combine(root, "pipeline-onnx-notapid")).FullName;
            OnnxTempFolder.DeleteFoldersOfEndedProcesses(root);
            Assert.False(Directory.Exists(dead));
            Assert.True(Directory.Exists(live));
            Assert.True(Directory.Exists(unrelated));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

/// <summary>A package whose ML.NET chain runs a tiny ONNX network (Y = X + W), for the ONNX checks without ResNet18's 64 MB.</summary>
internal static class TinyOnnxPackage
{
    public static string Save(string path)
    {
        var ml = new MLContext(1);
        var rows = Enumerable.Range(0, 20).Select(i => new Row { X = [i % 2, i % 3, 1], Label = (uint)(i % 2) }).ToList();
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.X)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3);
        schema[nameof(Row.Label)].ColumnType = new KeyDataViewType(typeof(uint), 2);
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var model = ml.Transforms.ApplyOnnxModel("Y", "X", new MemoryStream(Network(externalLocation: null)))
            .Append(ml.Transforms.CopyColumns("Features", "Y"))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
            .Fit(data);
        ModelPackage.Save(ml, path, Models.ModelPackageTests.Metadata(), model, data.Schema);
        (model as IDisposable)?.Dispose();
        return path;
    }

    /// <summary>ONNX <c>ModelProto</c>: Y = X + W over 3 floats; W inline, or in <paramref name="externalLocation"/>.</summary>
    public static byte[] Network(string? externalLocation)
    {
        var node = ProtoField.OfMessage(1, [ProtoField.OfString(1, "X"), ProtoField.OfString(1, "W"), ProtoField.OfString(2, "Y"), ProtoField.OfString(3, "add"), ProtoField.OfString(4, "Add")]);
        var graph = ProtoField.OfMessage(7, [node, ProtoField.OfString(2, "tiny"), Weights(5, externalLocation), Vector(11, "X"), Vector(12, "Y")]);
        var opset = ProtoField.OfMessage(8, [ProtoField.OfString(1, string.Empty), ProtoField.OfVarint(2, 13)]);
        // the doc string makes the network's bytes unmistakable among other files in the temp folder
        var doc = ProtoField.OfString(6, "tiny network for HostilePackageTests " + new string('.', 40_000));
        return Proto.Serialize([ProtoField.OfVarint(1, 7), opset, graph, doc]);
    }

    /// <summary>TensorProto W, [3] floats, as field <paramref name="number"/>.</summary>
    public static ProtoField Weights(int number, string? externalLocation)
    {
        List<ProtoField> fields = [ProtoField.OfVarint(1, 3), ProtoField.OfVarint(2, 1), ProtoField.OfString(8, "W")];
        if (externalLocation is null)
        {
            fields.Add(ProtoField.OfBytes(9, new byte[12]));
        }
        else
        {
            fields.Add(ProtoField.OfMessage(13, [ProtoField.OfString(1, "location"), ProtoField.OfString(2, externalLocation)]));
            fields.Add(ProtoField.OfVarint(14, 1));
        }

        return ProtoField.OfMessage(number, fields);
    }

    /// <summary>ML.NET's binary stream of a byte array: a 32-bit length, then the bytes.</summary>
    public static byte[] MlNetByteArray(byte[] bytes) => [.. BitConverter.GetBytes(bytes.Length), .. bytes];

    private static ProtoField Vector(int number, string name)
    {
        var shape = ProtoField.OfMessage(2, [ProtoField.OfMessage(1, [ProtoField.OfVarint(1, 3)])]);
        var tensorType = ProtoField.OfMessage(1, [ProtoField.OfVarint(1, 1), shape]);
        return ProtoField.OfMessage(number, [ProtoField.OfString(1, name), ProtoField.OfMessage(2, [tensorType])]);
    }

    private sealed class Row
    {
        public float[] X { get; set; } = [];

        public uint Label { get; set; }
    }
}

/// <summary>Edits packages entry by entry, as a tool (or a forger) would.</summary>
internal static class PackageCrafting
{
    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="target"/> through <paramref name="edit"/> (null drops an entry),
    /// adding <paramref name="add"/> at the end; with <paramref name="recomputeChecksums"/> SHA256SUMS matches the edit.
    /// </summary>
    public static void Rewrite(string source, string target, Func<string, byte[], byte[]?> edit, bool recomputeChecksums = true, params (string Name, byte[] Bytes)[] add)
    {
        List<(string Name, byte[] Bytes)> entries;
        using (var zip = ZipFile.OpenRead(source))
        {
            entries = EditedEntries(zip, edit);
        }

        if (recomputeChecksums)
        {
            var sums = string.Concat(entries.Where(e => e.Name != ModelPackage.ChecksumsEntry).Select(e => $"{Convert.ToHexString(SHA256.HashData(e.Bytes))}  {e.Name}\n"));
            entries = [.. entries.Select(e => e.Name == ModelPackage.ChecksumsEntry ? (e.Name, Encoding.ASCII.GetBytes(sums)) : e)];
        }

        File.WriteAllBytes(target, RewriteZip(entries, add));
    }

    /// <summary>A zip of <paramref name="zipBytes"/>'s entries through <paramref name="edit"/>, plus <paramref name="add"/>.</summary>
    public static byte[] RewriteZip(byte[] zipBytes, Func<string, byte[], byte[]?> edit, params (string Name, byte[] Bytes)[] add)
    {
        using var zip = new ZipArchive(new MemoryStream(zipBytes), ZipArchiveMode.Read);
        return RewriteZip(EditedEntries(zip, edit), add);
    }

    private static List<(string Name, byte[] Bytes)> EditedEntries(ZipArchive zip, Func<string, byte[], byte[]?> edit)
    {
        var entries = new List<(string Name, byte[] Bytes)>();
        foreach (var entry in zip.Entries)
        {
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            if (edit(entry.FullName, copy.ToArray()) is { } edited)
            {
                entries.Add((entry.FullName, edited));
            }
        }

        return entries;
    }

    public static byte[] Entry(string package, string name)
    {
        using var zip = ZipFile.OpenRead(package);
        using var stream = zip.GetEntry(name)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static byte[] EditJson(byte[] json, Action<JsonObject> change)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        change(root);
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>Copies every property of <paramref name="patch"/> over <paramref name="target"/>.</summary>
    public static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            patch.Remove(key);
            target[key] = value;
        }
    }

    /// <summary>Sets the "encrypted" flag of <paramref name="name"/>'s central directory record (the bytes stay readable).</summary>
    public static void MarkEncrypted(byte[] zip, string name)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name);
        for (var i = 0; i + 46 + nameBytes.Length <= zip.Length; i++)
        {
            if (zip[i] == 0x50 && zip[i + 1] == 0x4B && zip[i + 2] == 0x01 && zip[i + 3] == 0x02 && zip.AsSpan(i + 46, nameBytes.Length).SequenceEqual(nameBytes))
            {
                zip[i + 8] |= 1;
                return;
            }
        }

        throw new InvalidOperationException($"no central directory record for {name}");
    }

    private static byte[] RewriteZip(List<(string Name, byte[] Bytes)> entries, (string Name, byte[] Bytes)[] add)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries.Concat(add))
            {
                using var stream = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
                stream.Write(bytes);
            }
        }

        return output.ToArray();
    }
}
