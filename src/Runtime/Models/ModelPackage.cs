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
using ImageWorkbench.Runtime.HandCrafted;

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

    /// <summary>
    /// Optional (format 3 packages of linear hand-crafted models, from this version on): the direct scorer's parameters
    /// and the engine's probe scores (<see cref="DirectLinearScorer"/>), so <see cref="ImageClassifier"/> can score
    /// without loading the ML.NET model. ML.NET's loader ignores it; the checksums cover it like any other entry.
    /// </summary>
    internal const string DirectScorerEntry = "direct-linear-scorer.bin";

    /// <summary>Largest <c>metadata.json</c> read: ten thousand class names fit many times over.</summary>
    internal const long MaxMetadataBytes = 1 << 20;

    /// <summary>Largest ML.NET model (and total of its inflated entries) read: ResNet18 is ~64 MB; room for 16 of it.</summary>
    internal const long MaxModelBytes = 1L << 30;

    /// <summary>One line per entry: room for <see cref="MaxModelEntries"/> lines.</summary>
    private const long MaxChecksumsBytes = 256 << 10;

    /// <summary>The first format that is a plain ML.NET model file (ML.NET's entries, then ours).</summary>
    private const int StandardFormatVersion = 3;

    /// <summary>Any entry may inflate to this much whatever its compressed size: small models are not penalised.</summary>
    private const long InflationAllowanceBytes = 16 << 20;

    /// <summary>
    /// Beyond <see cref="InflationAllowanceBytes"/>, an entry may inflate to this many times its compressed size. The
    /// ML.NET zip is stored (ratio 1) and its ONNX weights barely compress; a zip bomb inflates a thousandfold.
    /// </summary>
    private const int MaxInflationRatio = 8;

    /// <summary>More entries than any ML.NET chain this workbench saves (a CNN model has 16).</summary>
    private const int MaxModelEntries = 1000;


    private readonly Lazy<LoadedModel> _loaded;

    private ModelPackage(ModelMetadata metadata, Func<LoadedModel> load, ReadOnlyMemory<byte>? directScorer)
    {
        Metadata = metadata;
        _loaded = new Lazy<LoadedModel>(load, LazyThreadSafetyMode.ExecutionAndPublication);
        DirectScorer = directScorer;
    }

    public ModelMetadata Metadata { get; }

    /// <summary>
    /// The model from pixels on: the saved model after its decode step (format 3), or the whole saved model (formats 1
    /// and 2, which take pixels). What the workbench scores decoded images with.
    /// </summary>
    public ITransformer Model => _loaded.Value.Model;

    /// <summary>The schema <see cref="Model"/> reads (it holds the pixels column of <see cref="ModelMetadata.Input"/>'s shape).</summary>
    public DataViewSchema InputSchema => _loaded.Value.InputSchema;

    /// <summary>The model as the file holds it, what <c>mlContext.Model.Load</c> returns (format 3: image bytes in).</summary>
    public ITransformer SavedModel => _loaded.Value.SavedModel;

    public DataViewSchema SavedInputSchema => _loaded.Value.SavedInputSchema;

    /// <summary>The <see cref="DirectScorerEntry"/> bytes (checksum verified), or null when the package has none.</summary>
    internal ReadOnlyMemory<byte>? DirectScorer { get; }

    /// <summary>
    /// False while a package from <see cref="LoadDeferred"/> has not read its ML.NET model yet (the first use of
    /// <see cref="Model"/> or <see cref="SavedModel"/> reads it, and may then throw <see cref="ModelFormatException"/>).
    /// </summary>
    internal bool ModelLoaded => _loaded.IsValueCreated;

    /// <summary>Disposes the ML.NET model if it was read (it may hold an ONNX Runtime session).</summary>
    internal void DisposeModel()
    {
        if (_loaded.IsValueCreated)
        {
            (_loaded.Value.SavedModel as IDisposable)?.Dispose();
        }
    }

    /// <summary>
    /// Writes the package atomically (temp file in the same folder, then rename over <paramref name="path"/>): the
    /// entries ML.NET's <c>Model.Save</c> writes, as they are, then <c>metadata.json</c> and <c>SHA256SUMS</c>.
    /// </summary>
    public static void Save(MLContext ml, string path, ModelMetadata metadata, ITransformer model, DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(metadata);
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(folder);

        // One buffer for ML.NET's zip; its entries are then streamed into the package (hashed on the way), not copied whole.
        using var buffer = new MemoryStream();
        ml.Model.Save(model, inputSchema, buffer);
        var directScorer = DirectScorerEntryOf(ml, buffer, metadata, model, inputSchema);
        buffer.Position = 0;
        using var saved = new ZipArchive(buffer, ZipArchiveMode.Read, leaveOpen: true);
        AtomicFile.Write(fullPath, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            var sums = new StringBuilder();
            foreach (var entry in saved.Entries)
            {
                sums.Append(CopyEntry(entry, zip)).Append("  ").Append(entry.FullName).Append('\n');
            }

            if (directScorer is not null)
            {
                WriteEntry(zip, DirectScorerEntry, directScorer, CompressionLevel.Optimal);
                sums.Append(Sha256(directScorer)).Append("  ").Append(DirectScorerEntry).Append('\n');
            }

            // The metadata names the digest of the model's checksum lines, so it is tied to this very model.
            var stamped = metadata with { ModelSha256 = Sha256(Encoding.UTF8.GetBytes(sums.ToString())) };
            var metadataBytes = JsonSerializer.SerializeToUtf8Bytes(stamped, ModelMetadataJson.Default.ModelMetadata);
            WriteEntry(zip, MetadataEntry, metadataBytes, CompressionLevel.Optimal);
            sums.Append(Sha256(metadataBytes)).Append("  ").Append(MetadataEntry).Append('\n');
            WriteEntry(zip, ChecksumsEntry, Encoding.UTF8.GetBytes(sums.ToString()), CompressionLevel.Optimal);
        });
    }

    /// <summary>
    /// The <see cref="DirectScorerEntry"/> of a model the direct scorer handles, else null. Taken from the model as
    /// ML.NET loads it back from <paramref name="mlnetZip"/> (what every later load sees, not the fitted objects) and
    /// written only when the scorer gives that model's engine scores bit for bit on the probe images, which the entry
    /// records so a loader can check itself without the engine.
    /// </summary>
    private static byte[]? DirectScorerEntryOf(MLContext ml, MemoryStream mlnetZip, ModelMetadata metadata, ITransformer model, DataViewSchema inputSchema)
    {
        if (!DirectLinearScorer.MayScore(ImageModel.PixelsPart(model, inputSchema).Model) || !BitConverter.IsLittleEndian)
        {
            return null; // any other chain: not worth reading the model back
        }

        ModelComponents.Register(ml);
        mlnetZip.Position = 0;
        var loaded = ml.Model.Load(mlnetZip, out var loadedSchema);
        try
        {
            var pixels = ImageModel.PixelsPart(loaded, loadedSchema).Model;
            if (DirectLinearScorer.TryCreate(pixels) is not { } direct || direct.InputLength != metadata.Input.Shape.Length || direct.ClassCount != metadata.Classes.Count)
            {
                return null;
            }

            using var engine = ml.Model.CreatePredictionEngine<PixelsRow, ScoreRow>(pixels, inputSchemaDefinition: ModelInputPixels.PixelsSchema(metadata.Input));
            var probeScores = DirectLinearScorer.ProbeScores(probe => engine.Predict(new PixelsRow { Pixels = probe }).Score, direct.InputLength, metadata.Input.Scale);
            return direct.Agrees(probeScores, metadata.Input.Scale) ? direct.ToEntry(probeScores) : null;
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    /// <summary>Copies one entry of ML.NET's zip into the package, returning its SHA-256.</summary>
    private static string CopyEntry(ZipArchiveEntry entry, ZipArchive target)
    {
        // ONNX weights barely compress: storing them saves a pass over ~60 MB for CNN models.
        var level = IsOnnxNetwork(entry) ? CompressionLevel.NoCompression : CompressionLevel.Optimal;
        using var input = entry.Open();
        using var output = target.CreateEntry(entry.FullName, level).Open();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[81920];
        int read;
        while ((read = input.Read(chunk, 0, chunk.Length)) > 0)
        {
            hash.AppendData(chunk, 0, read);
            output.Write(chunk, 0, read);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>Reads only the metadata, checked against the package's checksums (fast; does not load the ML.NET model).</summary>
    public static ModelMetadata ReadMetadata(string path) => Guard(path, () =>
    {
        using var zip = OpenZip(path);
        return IsLegacy(zip)
            ? ReadVerifiedMetadata(PackageEntries.Find(zip, path), path).Metadata
            : ReadVerifiedMetadata(StandardEntries.Find(zip, path), path).Metadata;
    });

    /// <summary>
    /// The ONNX networks stored inside a package (ML.NET's ONNX transform keeps its model as an entry named <c>OnnxModel</c>:
    /// a 4-byte length, then the bytes), each checked against the package's <c>SHA256SUMS</c>, in entry-name order. None for
    /// a package whose network is rebuilt from a packaged file (the frozen ResNet18) or an older package format.
    /// </summary>
    public static IReadOnlyList<byte[]> ReadEmbeddedOnnxModels(string path) => Guard(path, () =>
    {
        using var zip = OpenZip(path);
        if (IsLegacy(zip))
        {
            return [];
        }

        var (_, checksums) = ReadVerifiedMetadata(StandardEntries.Find(zip, path), path);
        var models = new List<byte[]>();
        foreach (var entry in zip.Entries.Where(e => e.Name == "OnnxModel").OrderBy(e => e.FullName, StringComparer.Ordinal))
        {
            using var bytes = ReadEntry(entry, MaxModelBytes, path);
            var all = bytes.GetBuffer().AsSpan(0, (int)bytes.Length);
            if (checksums is null || !checksums.TryGetValue(entry.FullName, out var sum) || !string.Equals(Sha256(all), sum, StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelFormatException($"{path}: entry {ModelMetadataRules.Quoted(entry.FullName)} does not match its recorded checksum (file changed or damaged)");
            }

            if (all.Length < 4 || System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(all) != all.Length - 4)
            {
                throw new ModelFormatException($"{path}: entry {ModelMetadataRules.Quoted(entry.FullName)} is not a stored ONNX model");
            }

            models.Add(all[4..].ToArray());
        }

        return models;
    });

    /// <summary>Loads and verifies a package. Every problem becomes a <see cref="ModelFormatException"/> naming the file.</summary>
    public static ModelPackage Load(MLContext ml, string path)
    {
        ArgumentNullException.ThrowIfNull(ml);
        return Guard(path, () => LoadVerified(ml, path, defer: false));
    }

    /// <summary>
    /// Like <see cref="Load"/> (every check on the file's bytes is made now), but a package with a
    /// <see cref="DirectScorerEntry"/> leaves its ML.NET model unread, in memory, until <see cref="Model"/> or
    /// <see cref="SavedModel"/> is first used: a caller that scores with the entry never pays for ML.NET's loader.
    /// </summary>
    internal static ModelPackage LoadDeferred(MLContext ml, string path)
    {
        ArgumentNullException.ThrowIfNull(ml);
        return Guard(path, () => LoadVerified(ml, path, defer: true));
    }

    internal static string SerializeMetadata(ModelMetadata metadata) => JsonSerializer.Serialize(metadata, ModelMetadataJson.Default.ModelMetadata);

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

    private static ModelPackage LoadVerified(MLContext ml, string path, bool defer)
    {
        using (var zip = OpenZip(path))
        {
            if (IsLegacy(zip))
            {
                return LoadLegacy(ml, zip, path);
            }
        }

        return LoadStandard(ml, path, defer);
    }

    /// <summary>Format 1 and 2: an outer zip holding <c>mlnet-model.zip</c> (the ML.NET model, pixels in).</summary>
    private static bool IsLegacy(ZipArchive zip) => zip.Entries.Any(e => e.FullName == ModelEntry);

    /// <summary>
    /// Format 3: the file is ML.NET's own model zip plus <c>metadata.json</c> and <c>SHA256SUMS</c> (which ML.NET's
    /// loader never reads). Read into memory once, capped, so what is checked is what ML.NET loads.
    /// </summary>
    private static ModelPackage LoadStandard(MLContext ml, string path, bool defer)
    {
        MemoryStream? bytes = ReadWholeFile(path);
        try
        {
            var (metadata, directScorer) = VerifyStandard(bytes, path);
            if (defer && directScorer is not null)
            {
                // The verified bytes stay for the model's first use: the file itself may have changed since.
                var verified = bytes;
                bytes = null;
                return new ModelPackage(metadata, () => Guard(path, () => ReadChecked(ml, verified, metadata, path)), directScorer);
            }

            return LoadChecked(ml, bytes, metadata, path);
        }
        finally
        {
            bytes?.Dispose();
        }
    }

    /// <summary>Every check of a format 3 package's bytes; returns its metadata and its <see cref="DirectScorerEntry"/>, if any.</summary>
    private static (ModelMetadata Metadata, byte[]? DirectScorer) VerifyStandard(MemoryStream bytes, string path)
    {
        using var zip = new ZipArchive(bytes, ZipArchiveMode.Read, leaveOpen: true);
        var entries = StandardEntries.Find(zip, path);
        if (ZipLayout.Problem(bytes.GetBuffer().AsSpan(0, (int)bytes.Length)) is { } damage)
        {
            throw new ModelFormatException($"{path}: {damage} (file changed or damaged)");
        }

        var (metadata, checksums) = ReadVerifiedMetadata(entries, path);
        var actual = CheckModelEntries(zip, path, skip: [MetadataEntry, ChecksumsEntry]);
        foreach (var (name, hash) in actual)
        {
            if (!checksums!.TryGetValue(name, out var expected) || !string.Equals(hash, expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelFormatException($"{path}: the model inside the package does not match its recorded checksum (entry {ModelMetadataRules.Quoted(name)}; file changed or damaged)");
            }
        }

        var modelLines = string.Concat(zip.Entries.Where(e => e.FullName is not (MetadataEntry or ChecksumsEntry)).Select(e => $"{actual[e.FullName]}  {e.FullName}\n"));
        if (!string.Equals(Sha256(Encoding.UTF8.GetBytes(modelLines)), metadata.ModelSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelFormatException($"{path}: the model inside the package does not match its recorded checksum (file changed or damaged)");
        }

        if (zip.GetEntry(DirectScorerEntry) is not { } directEntry)
        {
            return (metadata, null);
        }

        using var direct = ReadEntry(directEntry, MaxModelBytes, path); // hashed above with the rest; capped like every entry
        return (metadata, direct.ToArray());
    }

    private static MemoryStream ReadWholeFile(string path)
    {
        using var file = FileChecks.OpenRegular(path, "a model file", out var refusal)
            ?? throw new ModelFormatException($"{path}: {refusal}");
        var limit = MaxModelBytes + MaxMetadataBytes + MaxChecksumsBytes;
        if (file.Length > limit)
        {
            throw new ModelFormatException($"{path}: the package is {file.Length:N0} bytes (at most {limit:N0} are read)");
        }

        var bytes = new MemoryStream((int)file.Length);
        CopyCapped(file, bytes, limit, () => new ModelFormatException($"{path}: the package grows past {limit:N0} bytes while it is read"));
        bytes.Position = 0;
        return bytes;
    }

    private static ModelPackage LoadLegacy(MLContext ml, ZipArchive zip, string path)
    {
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

        modelBytes.Position = 0;
        using (var inner = new ZipArchive(modelBytes, ZipArchiveMode.Read, leaveOpen: true))
        {
            CheckModelEntries(inner, path, skip: []);
        }

        return LoadChecked(ml, modelBytes, metadata, path);
    }

    /// <summary>Loads a model whose bytes passed every check, and checks it against its metadata.</summary>
    private static ModelPackage LoadChecked(MLContext ml, MemoryStream modelBytes, ModelMetadata metadata, string path)
    {
        var loaded = ReadChecked(ml, modelBytes, metadata, path);
        var package = new ModelPackage(metadata, () => loaded, directScorer: null);
        _ = package.Model; // read now: Load's callers expect the model in hand
        return package;
    }

    private static LoadedModel ReadChecked(MLContext ml, MemoryStream modelBytes, ModelMetadata metadata, string path)
    {
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

        var (pixelsModel, pixelsSchema) = ImageModel.PixelsPart(model, schema);
        return new LoadedModel(model, schema, pixelsModel, pixelsSchema);
    }

    /// <summary>The ML.NET model as read: the whole saved chain and the part from pixels on, with the schemas each reads.</summary>
    private sealed record LoadedModel(ITransformer SavedModel, DataViewSchema SavedInputSchema, ITransformer Model, DataViewSchema InputSchema);

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
    private static (ModelMetadata Metadata, Dictionary<string, string>? Checksums) ReadVerifiedMetadata(PackageEntries entries, string path) =>
        ReadVerifiedMetadata(entries.Metadata, entries.Checksums, LegacyListed, standard: false, path);

    private static readonly IReadOnlySet<string> LegacyListed = new HashSet<string>(StringComparer.Ordinal) { MetadataEntry, ModelEntry };

    private static (ModelMetadata Metadata, Dictionary<string, string>? Checksums) ReadVerifiedMetadata(StandardEntries entries, string path) =>
        ReadVerifiedMetadata(entries.Metadata, entries.Checksums, entries.Listed, standard: true, path);

    // listed: the entries SHA256SUMS must name, each once; standard: a format 3 file (ML.NET's zip with our
    // entries), whose metadata must say format 3 or later.
    private static (ModelMetadata Metadata, Dictionary<string, string>? Checksums) ReadVerifiedMetadata(ZipArchiveEntry metadataEntry, ZipArchiveEntry? checksumsEntry, IReadOnlySet<string> listed, bool standard, string path)
    {
        using var metadataBytes = ReadEntry(metadataEntry, MaxMetadataBytes, path);
        var json = metadataBytes.GetBuffer().AsMemory(0, (int)metadataBytes.Length);
        ModelMetadata? metadata;
        try
        {
            // a UTF-8 byte order mark (an editor's save) is allowed, as the stream reader allowed it
            metadata = JsonSerializer.Deserialize<ModelMetadata>(json.Span.StartsWith("\uFEFF"u8) ? json.Span[3..] : json.Span, ModelMetadataJson.Default.ModelMetadata);
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

        if (standard && metadata.FormatVersion < StandardFormatVersion)
        {
            throw new ModelFormatException($"{path}: a format {metadata.FormatVersion} package laid out as format {StandardFormatVersion} (file changed or damaged)");
        }

        Dictionary<string, string>? checksums = null;
        if (metadata.FormatVersion >= ModelMetadata.WholePackageChecksumVersion)
        {
            if (checksumsEntry is null)
            {
                throw new ModelFormatException($"{path}: the package has no {ChecksumsEntry} (format {metadata.FormatVersion} packages checksum every entry; file changed or damaged)");
            }

            checksums = ReadChecksums(checksumsEntry, listed, path);
            if (!string.Equals(Sha256(json.Span), checksums[MetadataEntry], StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelFormatException($"{path}: the package metadata does not match its recorded checksum (file changed or damaged)");
            }
        }
        else if (checksumsEntry is not null)
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
    private static Dictionary<string, string> ReadChecksums(ZipArchiveEntry entry, IReadOnlySet<string> listed, string path)
    {
        using var bytes = ReadEntry(entry, MaxChecksumsBytes, path);
        var text = Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
        var sums = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split("  ", 2);
            if (parts.Length != 2 || parts[0].Length != 64 || !parts[0].All(Uri.IsHexDigit) || !listed.Contains(parts[1]) || !sums.TryAdd(parts[1], parts[0]))
            {
                throw new ModelFormatException($"{path}: the package's {ChecksumsEntry} is damaged");
            }
        }

        if (sums.Count != listed.Count)
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
    /// ML.NET inflates its model's entries trusting their headers: count the entries and what they inflate to first
    /// (streamed, nothing kept but ONNX networks, one at a time), check every ONNX network is self-contained, and
    /// return each entry's SHA-256. Entries named in <paramref name="skip"/> (ours, read separately) are left out.
    /// </summary>
    private static Dictionary<string, string> CheckModelEntries(ZipArchive model, string path, IReadOnlyCollection<string> skip)
    {
        var modelEntries = model.Entries.Where(e => !skip.Contains(e.FullName)).ToList();
        var compressed = modelEntries.Sum(e => Math.Max(e.CompressedLength, 0));
        var budget = Math.Min(MaxModelBytes, InflationAllowanceBytes + (compressed * MaxInflationRatio));
        if (modelEntries.Count > MaxModelEntries)
        {
            throw new ModelFormatException($"{path}: the model inside the package has {modelEntries.Count:N0} entries (at most {MaxModelEntries:N0})");
        }

        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var entry in modelEntries)
        {
            if (hashes.ContainsKey(entry.FullName))
            {
                throw new ModelFormatException($"{path}: the model inside the package holds entry {ModelMetadataRules.Quoted(entry.FullName)} twice");
            }

            if (entry.Length < 0 || entry.Length > budget - total)
            {
                throw new ModelFormatException($"{path}: the model inside the package declares more than {budget:N0} bytes in all (refused: a package may not expand like that)");
            }

            var remaining = budget - total;
            using var input = entry.Open();
            using var sink = new HashingStream(IsOnnxNetwork(entry) ? new MemoryStream((int)entry.Length) : null);
            CopyCapped(input, sink, remaining, () => InflatesTooMuch(path, budget));
            total += sink.Length;
            if (sink.Kept is { } network)
            {
                CheckOnnxNetwork(network, entry, path);
            }

            hashes[entry.FullName] = sink.Hash();
        }

        return hashes;
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

    /// <summary>A write-only sink that counts and hashes what passes, keeping it only when given a stream to keep it in.</summary>
    private sealed class HashingStream(MemoryStream? kept) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _length;

        public MemoryStream? Kept { get; } = kept;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException();
        }

        public string Hash() => Convert.ToHexString(_hash.GetHashAndReset());

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            _length += count;
            _hash.AppendData(buffer, offset, count);
            Kept?.Write(buffer, offset, count);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
                Kept?.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// The entries of a format 3 package: ML.NET's (any safe relative names), <c>metadata.json</c> and <c>SHA256SUMS</c>,
    /// each once, none encrypted, at most <see cref="MaxModelEntries"/> + 2.
    /// </summary>
    private sealed record StandardEntries(ZipArchiveEntry Metadata, ZipArchiveEntry Checksums, IReadOnlySet<string> Listed)
    {
        public static StandardEntries Find(ZipArchive zip, string path)
        {
            if (zip.Entries.Count > MaxModelEntries + 2)
            {
                throw new ModelFormatException($"{path}: not a model package ({zip.Entries.Count:N0} entries; at most {MaxModelEntries + 2:N0})");
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                var name = entry.FullName;
                if (name.Length == 0 || name[0] is '/' or '\\' || name.Contains(':', StringComparison.Ordinal) || name.Split('/', '\\').Any(part => part is "" or "." or ".."))
                {
                    throw new ModelFormatException($"{path}: not a model package (unexpected entry {ModelMetadataRules.Quoted(name)})");
                }

                if (!names.Add(name))
                {
                    throw new ModelFormatException($"{path}: not a model package (entry {ModelMetadataRules.Quoted(name)} appears twice)");
                }

                if (entry.IsEncrypted)
                {
                    throw new ModelFormatException($"{path}: not a model package (entry {ModelMetadataRules.Quoted(name)} is encrypted)");
                }
            }

            var metadata = zip.GetEntry(MetadataEntry) ?? throw new ModelFormatException($"{path}: not a model package (no {MetadataEntry} inside)");
            var checksums = zip.GetEntry(ChecksumsEntry) ?? throw new ModelFormatException($"{path}: the package has no {ChecksumsEntry} (format 3 packages checksum every entry; file changed or damaged)");
            names.Remove(ChecksumsEntry);
            return new StandardEntries(metadata, checksums, names);
        }
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
