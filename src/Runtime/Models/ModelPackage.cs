using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Data;
using ImageWorkbench.Runtime.Cnn;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Runtime.Models;

/// <summary>
/// A trained model as one <c>.zip</c>: <c>metadata.json</c> (<see cref="ModelMetadata"/>), <c>mlnet-model.zip</c>
/// (the whole ML.NET transformer chain, featurizer included, as <see cref="ModelOperationsCatalog.Save(ITransformer, DataViewSchema, Stream)"/>
/// writes it) and <c>SHA256SUMS</c> (the SHA-256 of both, in <c>sha256sum</c>'s format; format 2 on). Written to a
/// temporary file and renamed, so a crash never leaves half a package.
/// </summary>
/// <remarks>
/// Loading treats the file as hostile: only those entries, each once; every entry's size is capped both by what
/// its header declares and by the bytes actually inflated (a lying header does not help); the metadata is
/// checked whole before use (<see cref="ModelMetadataRules"/>); the ML.NET model's own entries are size-checked
/// the same way and any ONNX network in it must hold all its data (no external files). The checksums guard
/// against damage, not against a forger, who can recompute them.
/// </remarks>
public sealed class ModelPackage
{
    internal const string MetadataEntry = "metadata.json";
    internal const string ModelEntry = "mlnet-model.zip";
    internal const string ChecksumsEntry = "SHA256SUMS";

    /// <summary>Largest <c>metadata.json</c> read: ten thousand class names fit many times over.</summary>
    internal const long MaxMetadataBytes = 1 << 20;

    /// <summary>Largest ML.NET model (and total of its inflated entries) read: ResNet18 is ~64 MB; room for 16 of it.</summary>
    internal const long MaxModelBytes = 1L << 30;

    private const long MaxChecksumsBytes = 4 << 10;

    /// <summary>Any entry may inflate to this much whatever its compressed size: small models are not penalised.</summary>
    private const long InflationAllowanceBytes = 16 << 20;

    /// <summary>
    /// Beyond <see cref="InflationAllowanceBytes"/>, an entry may inflate to this many times its compressed size. The
    /// ML.NET zip is stored (ratio 1) and its ONNX weights barely compress; a zip bomb inflates a thousandfold.
    /// </summary>
    private const int MaxInflationRatio = 8;

    /// <summary>More entries than any ML.NET chain this workbench saves (a CNN model has 16).</summary>
    private const int MaxModelEntries = 1000;

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

        var modelSha256 = Sha256(modelBytes.Span);
        var stamped = metadata with { ModelSha256 = modelSha256 };
        var metadataBytes = JsonSerializer.SerializeToUtf8Bytes(stamped, JsonOptions);
        var checksums = $"{Sha256(metadataBytes)}  {MetadataEntry}\n{modelSha256}  {ModelEntry}\n";
        AtomicFile.Write(fullPath, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            WriteEntry(zip, MetadataEntry, metadataBytes, CompressionLevel.Optimal);

            // The ML.NET zip is already compressed; storing it avoids a second pass over ~60 MB for CNN models.
            WriteEntry(zip, ModelEntry, modelBytes.Span, CompressionLevel.NoCompression);
            WriteEntry(zip, ChecksumsEntry, Encoding.ASCII.GetBytes(checksums), CompressionLevel.Optimal);
        });
    }

    /// <summary>Reads only the metadata, checked against the package's checksums (fast; does not load the ML.NET model).</summary>
    public static ModelMetadata ReadMetadata(string path) => Guard(path, () =>
    {
        using var zip = OpenZip(path);
        return ReadVerifiedMetadata(PackageEntries.Find(zip, path), path).Metadata;
    });

    /// <summary>Loads and verifies a package. Every problem becomes a <see cref="ModelFormatException"/> naming the file.</summary>
    public static ModelPackage Load(MLContext ml, string path)
    {
        ArgumentNullException.ThrowIfNull(ml);
        return Guard(path, () => LoadVerified(ml, path));
    }

    internal static string SerializeMetadata(ModelMetadata metadata) => JsonSerializer.Serialize(metadata, JsonOptions);

    private static void WriteEntry(ZipArchive zip, string name, ReadOnlySpan<byte> bytes, CompressionLevel level)
    {
        using var stream = zip.CreateEntry(name, level).Open();
        stream.Write(bytes);
    }

    private static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes));

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
        catch (NotSupportedException ex)
        {
            // e.g. an encrypted entry or a compression method .NET does not read
            throw new ModelFormatException($"{path}: not a readable model package ({ex.Message})", ex);
        }
    }

    private static ModelPackage LoadVerified(MLContext ml, string path)
    {
        using var zip = OpenZip(path);
        var entries = PackageEntries.Find(zip, path);
        var (metadata, checksums) = ReadVerifiedMetadata(entries, path);
        using var modelBytes = ReadEntry(entries.Model, MaxModelBytes, path);
        var modelSpan = modelBytes.GetBuffer().AsSpan(0, (int)modelBytes.Length);
        var actual = Sha256(modelSpan);
        var expected = checksums?.GetValueOrDefault(ModelEntry) ?? metadata.ModelSha256;
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelFormatException($"{path}: the model inside the package does not match its recorded checksum (file changed or damaged)");
        }

        CheckModelEntries(modelBytes, path);

        // The check held a copy of the ONNX network (64 MB for ResNet18) that is garbage now; collected here, its
        // space is reused for ML.NET's own copy instead of adding to the peak.
        GC.Collect();
        ModelComponents.Register(ml);
        var (model, schema) = LoadModel(ml, modelBytes, path);
        try
        {
            CheckScoreLength(model, schema, metadata, path);
        }
        catch
        {
            (model as IDisposable)?.Dispose();
            throw;
        }

        return new ModelPackage(metadata, model, schema);
    }

    /// <summary>
    /// ML.NET's loaders are invoked by reflection (errors arrive wrapped) and trust the lengths they read, so every
    /// failure of a model that passed the checksum is turned into one message naming the package.
    /// </summary>
    private static (ITransformer Model, DataViewSchema Schema) LoadModel(MLContext ml, MemoryStream modelBytes, string path)
    {
        // ML.NET writes to ml.TempFilePath while loading (a scratch folder, and a copy of each ONNX network for ONNX
        // Runtime); a private folder per load is deleted as soon as the model is in memory, so nothing stays in $TMPDIR.
        OnnxTempFolder.LoadScope? temp = null;
        try
        {
            temp = OnnxTempFolder.ForLoad(ml);
            modelBytes.Position = 0;
            var model = ml.Model.Load(modelBytes, out var schema);
            return (model, schema);
        }
        catch (Exception ex) when (Unwrap(ex) is (IOException and not EndOfStreamException) or UnauthorizedAccessException)
        {
            // a full or read-only $TMPDIR: ML.NET cannot write its scratch files or the network ONNX Runtime reads
            throw new ModelFormatException($"{path}: the model cannot be loaded: ML.NET needs to write to the temp folder {temp?.Folder ?? Path.GetTempPath()}, which failed ({Unwrap(ex).Message}); free some space or set TMPDIR to a writable folder", ex);
        }
        catch (Exception ex) when (Unwrap(ex) is InvalidOperationException or FormatException or InvalidDataException or EndOfStreamException or ArgumentException
            or OutOfMemoryException or OverflowException or IndexOutOfRangeException or NotSupportedException or InvalidCastException or KeyNotFoundException)
        {
            // OutOfMemoryException here is a length the model declares and does not hold, not a full machine.
            throw new ModelFormatException($"{path}: ML.NET could not load the model ({Unwrap(ex).Message})", ex);
        }
        finally
        {
            temp?.Dispose();
        }
    }

    private static Exception Unwrap(Exception ex)
    {
        while (ex is TargetInvocationException { InnerException: { } inner })
        {
            ex = inner;
        }

        return ex;
    }

    /// <summary>The model's score vector must have one value per class the metadata names, or predictions get the wrong names.</summary>
    private static void CheckScoreLength(ITransformer model, DataViewSchema schema, ModelMetadata metadata, string path)
    {
        DataViewSchema output;
        try
        {
            output = model.GetOutputSchema(schema);
        }
        catch (Exception ex) when (Unwrap(ex) is InvalidOperationException or ArgumentException)
        {
            throw new ModelFormatException($"{path}: the model inside the package is inconsistent ({Unwrap(ex).Message})", ex);
        }

        if (output.GetColumnOrNull("Score") is { Type: VectorDataViewType { Size: var size } } && size != metadata.Classes.Count)
        {
            throw new ModelFormatException($"{path}: the model scores {size} classes but the metadata names {metadata.Classes.Count}");
        }
    }

    private static ZipArchive OpenZip(string path)
    {
        // The one non-blocking reader every input goes through: a named pipe, a device or a path swapped for one
        // after an earlier check is refused, not waited on.
        var file = FileChecks.OpenRegular(path, "a model file", out var refusal)
            ?? throw new ModelFormatException($"{path}: {(refusal is "empty file (0 bytes)" ? "not a model package (empty file, 0 bytes)" : refusal)}");
        try
        {
            return new ZipArchive(file, ZipArchiveMode.Read);
        }
        catch (InvalidDataException ex)
        {
            file.Dispose();
            throw new ModelFormatException($"{path}: not a model package (not a readable zip: {ex.Message})", ex);
        }
    }

    /// <summary>
    /// The metadata, checked: against <c>SHA256SUMS</c> (format 2) before it is parsed further than its version, then
    /// as a whole by <see cref="ModelMetadataRules"/>. Also returns the checksums, null for a format 1 package.
    /// </summary>
    private static (ModelMetadata Metadata, Dictionary<string, string>? Checksums) ReadVerifiedMetadata(PackageEntries entries, string path)
    {
        using var metadataBytes = ReadEntry(entries.Metadata, MaxMetadataBytes, path);
        var json = metadataBytes.GetBuffer().AsMemory(0, (int)metadataBytes.Length);
        ModelMetadata? metadata;
        try
        {
            // a UTF-8 byte order mark (an editor's save) is allowed, as the stream reader allowed it
            metadata = JsonSerializer.Deserialize<ModelMetadata>(json.Span.StartsWith("\uFEFF"u8) ? json.Span[3..] : json.Span, JsonOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException)
        {
            throw new ModelFormatException($"{path}: the package metadata is damaged ({ex.Message})", ex);
        }

        if (metadata is null)
        {
            throw new ModelFormatException($"{path}: the package metadata is empty");
        }

        // The version first: a future format may checksum differently, and "too new" is the useful message then.
        if (metadata.FormatVersion > ModelMetadata.CurrentFormatVersion || metadata.FormatVersion < 1)
        {
            throw new ModelFormatException($"{path}: package format version {metadata.FormatVersion} is not supported (this build reads versions 1 to {ModelMetadata.CurrentFormatVersion})");
        }

        Dictionary<string, string>? checksums = null;
        if (metadata.FormatVersion >= ModelMetadata.WholePackageChecksumVersion)
        {
            if (entries.Checksums is null)
            {
                throw new ModelFormatException($"{path}: the package has no {ChecksumsEntry} (format {metadata.FormatVersion} packages checksum every entry; file changed or damaged)");
            }

            checksums = ReadChecksums(entries.Checksums, path);
            if (!string.Equals(Sha256(json.Span), checksums[MetadataEntry], StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelFormatException($"{path}: the package metadata does not match its recorded checksum (file changed or damaged)");
            }
        }
        else if (entries.Checksums is not null)
        {
            throw new ModelFormatException($"{path}: a format {metadata.FormatVersion} package with a {ChecksumsEntry} entry (file changed or damaged)");
        }

        if (ModelMetadataRules.FindProblem(metadata) is { } problem)
        {
            throw new ModelFormatException($"{path}: {problem}");
        }

        return (metadata, checksums);
    }

    /// <summary><c>SHA256SUMS</c>: one "HEX  name" line per other entry, as <c>sha256sum</c> writes and checks it.</summary>
    private static Dictionary<string, string> ReadChecksums(ZipArchiveEntry entry, string path)
    {
        using var bytes = ReadEntry(entry, MaxChecksumsBytes, path);
        var text = Encoding.ASCII.GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
        var sums = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split("  ", 2);
            if (parts.Length != 2 || parts[0].Length != 64 || !parts[0].All(Uri.IsHexDigit) || parts[1] is not (MetadataEntry or ModelEntry) || !sums.TryAdd(parts[1], parts[0]))
            {
                throw new ModelFormatException($"{path}: the package's {ChecksumsEntry} is damaged");
            }
        }

        if (sums.Count != 2)
        {
            throw new ModelFormatException($"{path}: the package's {ChecksumsEntry} does not list every entry");
        }

        return sums;
    }

    /// <summary>
    /// Reads one entry whole, at most <paramref name="limit"/> bytes and at most what its compressed size may
    /// honestly inflate to. The header's length is checked first (cheap), then the bytes are counted as they
    /// inflate, so a header that lies about the length gains nothing.
    /// </summary>
    private static MemoryStream ReadEntry(ZipArchiveEntry entry, long limit, string path)
    {
        var cap = InflationCap(entry, limit, path);
        var buffer = new MemoryStream((int)Math.Min(entry.Length, cap));
        try
        {
            using var input = entry.Open();
            CopyCapped(input, buffer, cap, () => new ModelFormatException($"{path}: entry {ModelMetadataRules.Quoted(entry.FullName)} inflates to more than {cap:N0} bytes (refused: a package may not expand like that)"));
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static long InflationCap(ZipArchiveEntry entry, long limit, string path)
    {
        var cap = Math.Min(limit, InflationAllowanceBytes + (Math.Max(entry.CompressedLength, 0) * MaxInflationRatio));
        if (entry.Length > cap || entry.Length < 0)
        {
            throw new ModelFormatException($"{path}: entry {ModelMetadataRules.Quoted(entry.FullName)} declares {entry.Length:N0} bytes, more than the {cap:N0} accepted");
        }

        return cap;
    }

    /// <summary>Copies at most <paramref name="cap"/> bytes; one byte more throws what <paramref name="tooLarge"/> makes.</summary>
    private static void CopyCapped(Stream input, Stream? output, long cap, Func<Exception> tooLarge)
    {
        var chunk = new byte[81920];
        long total = 0;
        int read;
        while ((read = input.Read(chunk, 0, chunk.Length)) > 0)
        {
            total += read;
            if (total > cap)
            {
                throw tooLarge();
            }

            output?.Write(chunk, 0, read);
        }
    }

    /// <summary>
    /// The ML.NET model is itself a zip that ML.NET inflates trusting its headers: count its entries and what they
    /// inflate to first (streamed, nothing kept), and check every ONNX network in it is self-contained.
    /// </summary>
    private static void CheckModelEntries(MemoryStream modelBytes, string path)
    {
        modelBytes.Position = 0;
        var budget = Math.Min(MaxModelBytes, InflationAllowanceBytes + (modelBytes.Length * MaxInflationRatio));
        using var inner = new ZipArchive(modelBytes, ZipArchiveMode.Read, leaveOpen: true);
        if (inner.Entries.Count > MaxModelEntries)
        {
            throw new ModelFormatException($"{path}: the model inside the package has {inner.Entries.Count:N0} entries (at most {MaxModelEntries:N0})");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var entry in inner.Entries)
        {
            if (!names.Add(entry.FullName))
            {
                throw new ModelFormatException($"{path}: the model inside the package holds entry {ModelMetadataRules.Quoted(entry.FullName)} twice");
            }

            if (entry.Length < 0 || entry.Length > budget - total)
            {
                throw new ModelFormatException($"{path}: the model inside the package declares more than {budget:N0} bytes in all (refused: a package may not expand like that)");
            }

            var remaining = budget - total;
            using var input = entry.Open();
            if (IsOnnxNetwork(entry))
            {
                using var network = new MemoryStream((int)entry.Length);
                CopyCapped(input, network, remaining, () => InflatesTooMuch(path, budget));
                total += network.Length;
                CheckOnnxNetwork(network, entry, path);
            }
            else
            {
                var counter = new CountingStream();
                CopyCapped(input, counter, remaining, () => InflatesTooMuch(path, budget));
                total += counter.Length;
            }
        }

        modelBytes.Position = 0;
    }

    private static ModelFormatException InflatesTooMuch(string path, long budget) =>
        new($"{path}: the model inside the package inflates to more than {budget:N0} bytes (refused: a package may not expand like that)");

    /// <summary>ML.NET's ONNX transformer stores its network as a binary stream named <c>OnnxModel</c>.</summary>
    private static bool IsOnnxNetwork(ZipArchiveEntry entry) =>
        string.Equals(entry.Name, "OnnxModel", StringComparison.OrdinalIgnoreCase);

    /// <summary>The stream is ML.NET's byte array: a 32-bit length, then the ONNX <c>ModelProto</c>.</summary>
    private static void CheckOnnxNetwork(MemoryStream network, ZipArchiveEntry entry, string path)
    {
        var bytes = network.GetBuffer().AsMemory(0, (int)network.Length);
        if (bytes.Length < 4 || BitConverter.ToInt32(bytes.Span[..4]) != bytes.Length - 4)
        {
            throw new ModelFormatException($"{path}: the ONNX network {ModelMetadataRules.Quoted(entry.FullName)} in the package declares a length it does not hold");
        }

        string? problem;
        try
        {
            problem = OnnxSelfContainedCheck.FindProblem(bytes[4..]);
        }
        catch (Exception ex) when (ex is InvalidDataException or OverflowException)
        {
            throw new ModelFormatException($"{path}: the ONNX network in the package is damaged ({ex.Message})", ex);
        }

        if (problem is not null)
        {
            throw new ModelFormatException($"{path}: {problem}");
        }
    }

    /// <summary>A write-only sink that only counts, to measure an entry without keeping it.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => _length += count;
    }

    /// <summary>The entries of a package: exactly the known names, each once, none encrypted.</summary>
    private sealed record PackageEntries(ZipArchiveEntry Metadata, ZipArchiveEntry Model, ZipArchiveEntry? Checksums)
    {
        public static PackageEntries Find(ZipArchive zip, string path)
        {
            // A package has two or three entries: anything else (thousands of entries, "../x", a second
            // metadata.json another tool would read instead) is not a package this library wrote.
            if (zip.Entries.Count > 3)
            {
                throw new ModelFormatException($"{path}: not a model package ({zip.Entries.Count:N0} entries; a package holds only {MetadataEntry}, {ModelEntry} and {ChecksumsEntry})");
            }

            ZipArchiveEntry? metadata = null, model = null, checksums = null;
            foreach (var entry in zip.Entries)
            {
                ref var slot = ref metadata;
                switch (entry.FullName)
                {
                    case MetadataEntry:
                        break;
                    case ModelEntry:
                        slot = ref model;
                        break;
                    case ChecksumsEntry:
                        slot = ref checksums;
                        break;
                    default:
                        throw new ModelFormatException($"{path}: not a model package (unexpected entry {ModelMetadataRules.Quoted(entry.FullName)})");
                }

                if (slot is not null)
                {
                    throw new ModelFormatException($"{path}: not a model package (entry {entry.FullName} appears twice)");
                }

                if (entry.IsEncrypted)
                {
                    throw new ModelFormatException($"{path}: not a model package (entry {entry.FullName} is encrypted)");
                }

                slot = entry;
            }

            return new PackageEntries(
                metadata ?? throw new ModelFormatException($"{path}: not a model package (no {MetadataEntry} inside)"),
                model ?? throw new ModelFormatException($"{path}: not a model package (no {ModelEntry} inside)"),
                checksums);
        }
    }
}
