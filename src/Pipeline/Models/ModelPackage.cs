using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;

namespace Pipeline.Models;

/// <summary>
/// A trained model as one <c>.zip</c>: <c>metadata.json</c> (<see cref="ModelMetadata"/>) and <c>mlnet-model.zip</c>
/// (the whole ML.NET transformer chain, featurizer included, as <see cref="ModelOperationsCatalog.Save(ITransformer, DataViewSchema, Stream)"/>
/// writes it). Written to a temporary file and renamed, so a crash never leaves half a package.
/// </summary>
public sealed class ModelPackage
{
    internal const string MetadataEntry = "metadata.json";
    internal const string ModelEntry = "mlnet-model.zip";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    private ModelPackage(ModelMetadata metadata, ITransformer model, DataViewSchema inputSchema)
    {
        Metadata = metadata;
        Model = model;
        InputSchema = inputSchema;
    }

    public ModelMetadata Metadata { get; }

    public ITransformer Model { get; }

    public DataViewSchema InputSchema { get; }

    /// <summary>Writes the package atomically: temp file in the same folder, then rename over <paramref name="path"/>.</summary>
    public static void Save(MLContext ml, string path, ModelMetadata metadata, ITransformer model, DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(metadata);
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(folder);

        // One buffer, no copies: a CNN model is ~60 MB and every copy shows in the peak working set.
        using var buffer = new MemoryStream();
        ml.Model.Save(model, inputSchema, buffer);
        var modelBytes = new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);

        var stamped = metadata with { ModelSha256 = Convert.ToHexString(SHA256.HashData(modelBytes.Span)) };
        AtomicFile.Write(fullPath, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            var meta = zip.CreateEntry(MetadataEntry, CompressionLevel.Optimal);
            using (var metaStream = meta.Open())
            {
                JsonSerializer.Serialize(metaStream, stamped, JsonOptions);
            }

            // The ML.NET zip is already compressed; storing it avoids a second pass over ~60 MB for CNN models.
            var entry = zip.CreateEntry(ModelEntry, CompressionLevel.NoCompression);
            using var modelStream = entry.Open();
            modelStream.Write(modelBytes.Span);
        });
    }

    /// <summary>Reads only the metadata (fast; does not load the ML.NET model).</summary>
    public static ModelMetadata ReadMetadata(string path) => Guard(path, () =>
    {
        using var zip = OpenZip(path);
        return ReadMetadata(zip, path);
    });

    /// <summary>Loads and verifies a package. Every problem becomes a <see cref="ModelFormatException"/> naming the file.</summary>
    public static ModelPackage Load(MLContext ml, string path)
    {
        ArgumentNullException.ThrowIfNull(ml);
        return Guard(path, () => LoadVerified(ml, path));
    }

    /// <summary>ZipArchive reads lazily, so damage can surface on any access: every such failure names the file.</summary>
    private static T Guard<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException ex)
        {
            throw new ModelFormatException($"{path}: not a readable model package (damaged zip: {ex.Message})", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new ModelFormatException($"{path}: not a readable model package (file ends early)", ex);
        }
    }

    private static ModelPackage LoadVerified(MLContext ml, string path)
    {
        using var zip = OpenZip(path);
        var metadata = ReadMetadata(zip, path);
        var entry = zip.GetEntry(ModelEntry) ?? throw new ModelFormatException($"{path}: not a model package (no {ModelEntry} inside)");
        MemoryStream modelBytes;
        try
        {
            using var input = entry.Open();
            modelBytes = new MemoryStream(checked((int)Math.Min(entry.Length, int.MaxValue)));
            input.CopyTo(modelBytes);
        }
        catch (InvalidDataException ex)
        {
            throw new ModelFormatException($"{path}: the model inside the package is damaged ({ex.Message})", ex);
        }

        var actual = Convert.ToHexString(SHA256.HashData(modelBytes.GetBuffer().AsSpan(0, (int)modelBytes.Length)));
        if (!string.Equals(actual, metadata.ModelSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelFormatException($"{path}: the model inside the package does not match its recorded checksum (file changed or damaged)");
        }

        ModelComponents.Register(ml);
        try
        {
            using var modelStream = modelBytes;
            modelStream.Position = 0;
            var model = ml.Model.Load(modelStream, out var schema);
            return new ModelPackage(metadata, model, schema);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException or EndOfStreamException or ArgumentException)
        {
            throw new ModelFormatException($"{path}: ML.NET could not load the model ({ex.Message})", ex);
        }
    }

    internal static string SerializeMetadata(ModelMetadata metadata) => JsonSerializer.Serialize(metadata, JsonOptions);

    private static ZipArchive OpenZip(string path)
    {
        if (FileChecks.WhyNotAFile(path, "a model file") is { } notAFile)
        {
            throw new ModelFormatException($"{path}: {notAFile}");
        }

        if (FileChecks.IsEmpty(path))
        {
            throw new ModelFormatException($"{path}: not a model package (empty file, 0 bytes)");
        }

        try
        {
            return new ZipArchive(File.OpenRead(path), ZipArchiveMode.Read);
        }
        catch (InvalidDataException ex)
        {
            throw new ModelFormatException($"{path}: not a model package (not a readable zip: {ex.Message})", ex);
        }
    }

    private static ModelMetadata ReadMetadata(ZipArchive zip, string path)
    {
        var entry = zip.GetEntry(MetadataEntry) ?? throw new ModelFormatException($"{path}: not a model package (no {MetadataEntry} inside)");
        ModelMetadata? metadata;
        try
        {
            using var stream = entry.Open();
            metadata = JsonSerializer.Deserialize<ModelMetadata>(stream, JsonOptions);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or NotSupportedException)
        {
            throw new ModelFormatException($"{path}: the package metadata is damaged ({ex.Message})", ex);
        }

        if (metadata is null)
        {
            throw new ModelFormatException($"{path}: the package metadata is empty");
        }

        if (metadata.FormatVersion > ModelMetadata.CurrentFormatVersion || metadata.FormatVersion < 1)
        {
            throw new ModelFormatException($"{path}: package format version {metadata.FormatVersion} is not supported (this build reads versions 1 to {ModelMetadata.CurrentFormatVersion})");
        }

        if (metadata.Classes.Count < 2)
        {
            throw new ModelFormatException($"{path}: the package metadata names fewer than two classes");
        }

        return metadata;
    }
}
