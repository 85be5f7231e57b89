using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;

namespace ImageWorkbench.Pipeline.Pipelines.Cnn;

/// <summary>Size of a <see cref="FeatureCache"/> and how it was used by this instance.</summary>
/// <param name="Entries">Entries on disk (as last seen by this instance).</param>
/// <param name="Bytes">Their total file length in bytes (what the size bound counts).</param>
/// <param name="Hits">Lookups answered from the cache by this instance.</param>
/// <param name="Misses">Lookups not answered (absent or invalid entries).</param>
/// <param name="Evictions">Entries this instance deleted to stay under the bound.</param>
/// <param name="ForeignItems">Items in the cache folder the cache did not write (not counted, never deleted).</param>
public readonly record struct FeatureCacheStats(int Entries, long Bytes, long Hits, long Misses, long Evictions, int ForeignItems = 0);

/// <summary>What <see cref="FeatureCache.Clear"/> deleted and what it left alone.</summary>
/// <param name="Entries">Entry files deleted.</param>
/// <param name="Bytes">Their total length.</param>
/// <param name="TempFiles">Temp files deleted (left by killed runs, or being written by another process).</param>
/// <param name="ForeignItems">Items the cache did not write, left in place (folders counted once, not entered).</param>
/// <param name="FirstForeignItem">The first of those, relative to the cache folder; null when there are none.</param>
public readonly record struct FeatureCacheClearResult(int Entries, long Bytes, int TempFiles, int ForeignItems, string? FirstForeignItem);

/// <summary>A cache folder that is not a feature cache (foreign files, no marker, a file, a symbolic link): nothing is read or deleted there.</summary>
public sealed class FeatureCacheException : WorkbenchException
{
    public FeatureCacheException()
    {
    }

    public FeatureCacheException(string message)
        : base(message)
    {
    }

    public FeatureCacheException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Feature vectors on disk, computed once per (image content, featurizer id) and reused across runs and
/// trainers. Keyed by content, not path: the caller hashes the encoded file bytes or raw pixels
/// (<see cref="HashContent"/>), and the featurizer id (e.g. <see cref="CnnPreprocessing.Id"/>, which names
/// the network and the preprocessing) separates incompatible features.
/// </summary>
/// <remarks>
/// <para><b>Where:</b> the constructor's folder; else <c>$IMAGE_WORKBENCH_CACHE</c>; else
/// <c>$XDG_CACHE_HOME/image-workbench/features</c>; else <c>~/.cache/image-workbench/features</c>.</para>
/// <para><b>Layout:</b> one file per entry, <c>&lt;root&gt;/v1/&lt;2 hex&gt;/&lt;62 hex&gt;.f32</c>, named by
/// SHA-256(content hash, featurizer id); 256 shard folders keep 70k entries at about 270 files per folder.
/// A file is a 16-byte header (magic <c>IWF1</c>, float count, first 8 bytes of SHA-256 over the key and the
/// payload) and the little-endian floats: 2,064 bytes for 512 floats (one 4 KiB block on most file systems).</para>
/// <para><b>Crash safety:</b> an entry is written to <c>&lt;root&gt;/v1/tmp/*.tmp</c> and renamed into place,
/// so after Ctrl+C or kill -9 a reader sees the whole entry or none; left-over temp files are never read and
/// are deleted when older than an hour. Every read checks length and checksum; a bad entry counts as a miss
/// and is deleted.</para>
/// <para><b>Ownership:</b> the cache deletes only what it wrote. Creating <c>&lt;root&gt;/v1</c> it writes the
/// marker <c>v1/CACHEDIR.TAG</c> (the Cache Directory Tagging signature, so backup tools skip it, plus a line
/// naming this cache); <see cref="Clear"/>, eviction and bad-entry removal touch only regular files named like an
/// entry (<c>&lt;2 hex&gt;/&lt;62 hex&gt;.f32</c>) or a temp file, never the marker, never a folder, never
/// through a symbolic link. A <c>v1</c> without the marker is adopted (the marker is written) only when
/// everything in it is an entry whose name, header and checksum verify, or one of its temp files: that is a
/// cache written before markers existed. Any other <c>v1</c>, a <c>v1</c> that is a symbolic link, or a root
/// that is a file is not a cache: every operation throws <see cref="FeatureCacheException"/> naming the folder
/// and the first foreign item, and nothing is deleted.</para>
/// <para><b>Bound:</b> when the total file length passes <see cref="MaxBytes"/> (default 2 GiB), the least
/// recently used entries (file modification time, refreshed on every hit) are deleted down to 90% of it.
/// The total is tracked per instance from one directory scan at first use, so several processes sharing the
/// folder keep it only approximately.</para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed class FeatureCache
{
    /// <summary>Default bound on the cache size: 2 GiB.</summary>
    public const long DefaultMaxBytes = 2L << 30;

    /// <summary>Environment variable that overrides the default folder.</summary>
    public const string EnvironmentVariable = "IMAGE_WORKBENCH_CACHE";

    /// <summary>File name of the marker in <c>&lt;root&gt;/v1</c> that says the folder is a feature cache.</summary>
    public const string MarkerFileName = "CACHEDIR.TAG";

    private const uint Magic = 0x31465749; // "IWF1" little-endian
    private const int HeaderLength = 16;
    private const string TempFolderName = "tmp";

    // The Cache Directory Tagging signature (https://bford.info/cachedir/) and a line only this cache writes:
    // a CACHEDIR.TAG of another tool has the signature but not the line, so its folder is not taken for ours.
    private const string MarkerSignature = "Signature: 8a477f597d28d172789f06886806bc55";
    private const string MarkerOwnerLine = "# image-workbench CNN feature cache, layout v1";
    private const string MarkerText = MarkerSignature + "\n" + MarkerOwnerLine + "\n"
        + "# Entries are <2 hex>/<62 hex>.f32; 'pipeline cache clear' deletes only those and its tmp/*.tmp files.\n"
        + "# About cache directory tags: https://bford.info/cachedir/\n";

    private static readonly TimeSpan StaleTempAge = TimeSpan.FromHours(1);

    private readonly object _gate = new();
    private readonly string _entries;
    private readonly string _temp;
    private Dictionary<string, (long Length, DateTime LastUse)>? _index;
    private long _bytes;
    private long _hits;
    private long _misses;
    private long _evictions;
    private int _foreignItems;
    private volatile bool _owned; // the folder was checked to be this cache's (marker present or just written)

    /// <param name="directory">Cache folder; null for the default (see the remarks).</param>
    /// <param name="maxBytes">Size bound in bytes of entry files.</param>
    public FeatureCache(string? directory = null, long maxBytes = DefaultMaxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1L << 16);
        Directory = Path.GetFullPath(string.IsNullOrWhiteSpace(directory) ? DefaultDirectory() : directory);
        MaxBytes = maxBytes;
        _entries = Path.Combine(Directory, "v1");
        _temp = Path.Combine(_entries, "tmp");
    }

    public string Directory { get; }

    public long MaxBytes { get; }

    public FeatureCacheStats Stats
    {
        get
        {
            lock (_gate)
            {
                var index = EnsureIndex();
                return new FeatureCacheStats(index.Count, _bytes, _hits, _misses, _evictions, _foreignItems);
            }
        }
    }

    /// <summary>The default folder: <c>$IMAGE_WORKBENCH_CACHE</c>, <c>$XDG_CACHE_HOME/image-workbench/features</c> or <c>~/.cache/image-workbench/features</c>.</summary>
    public static string DefaultDirectory()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } explicitDir)
        {
            return explicitDir;
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = string.IsNullOrEmpty(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
            : xdg;
        return Path.Combine(root, "image-workbench", "features");
    }

    /// <summary>SHA-256 of an image's content (encoded file bytes, or raw pixels): the cache's content key.</summary>
    public static byte[] HashContent(ReadOnlySpan<byte> content) => SHA256.HashData(content);

    /// <summary>Copies the cached features into <paramref name="features"/> and returns true, or returns false on a miss.</summary>
    /// <exception cref="FeatureCacheException">The folder exists and is not a feature cache.</exception>
    public bool TryGet(ReadOnlySpan<byte> contentHash, string featurizerId, Span<float> features)
    {
        EnsureOwned(create: false);
        Span<byte> key = stackalloc byte[32];
        EntryKey(contentHash, featurizerId, key);
        string name = Convert.ToHexStringLower(key);
        string path = EntryPath(name);
        int expected = HeaderLength + (features.Length * sizeof(float));
        byte[] buffer = new byte[expected];
        bool ok = false;
        bool present = false;
        try
        {
            // Stat before open: a FIFO or device at an entry's name (length 0) is never opened, so a lookup cannot block.
            var info = new FileInfo(path);
            present = info.Exists;
            if (present && info.Length == expected && !IsLink(info))
            {
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                if (RandomAccess.GetLength(handle) == expected && ReadFully(handle, buffer) && Valid(buffer, key, features.Length))
                {
                    MemoryMarshal.Cast<byte, float>(buffer.AsSpan(HeaderLength)).CopyTo(features);
                    ok = true;
                }
            }
        }
        catch (FileNotFoundException)
        {
            present = false;
        }
        catch (DirectoryNotFoundException)
        {
            present = false;
        }
        catch (IOException)
        {
            // unreadable: treated as a miss below
        }
        catch (UnauthorizedAccessException)
        {
            // unreadable: treated as a miss below
        }

        if (ok)
        {
            var now = DateTime.UtcNow;
            TryTouch(path, now);
            lock (_gate)
            {
                _hits++;
                var index = EnsureIndex();
                if (!index.ContainsKey(name))
                {
                    _bytes += expected; // written by another process since our scan
                }

                index[name] = (expected, now);
            }

            return true;
        }

        if (present && IsEntryFile(path))
        {
            TryDelete(path);
        }

        lock (_gate)
        {
            _misses++;
            if (present && EnsureIndex().Remove(name, out var old))
            {
                _bytes -= old.Length;
            }
        }

        return false;
    }

    /// <summary>Stores features (atomically: a reader sees all of them or none), then evicts if over the bound.</summary>
    /// <exception cref="FeatureCacheException">The folder exists and is not a feature cache.</exception>
    public void Put(ReadOnlySpan<byte> contentHash, string featurizerId, ReadOnlySpan<float> features)
    {
        EnsureOwned(create: true);
        Span<byte> key = stackalloc byte[32];
        EntryKey(contentHash, featurizerId, key);
        string name = Convert.ToHexStringLower(key);
        byte[] data = new byte[HeaderLength + (features.Length * sizeof(float))];
        MemoryMarshal.AsBytes(features).CopyTo(data.AsSpan(HeaderLength));
        BinaryPrimitives.WriteUInt32LittleEndian(data, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(4), features.Length);
        Checksum(key, data.AsSpan(HeaderLength), data.AsSpan(8, 8));

        string path = EntryPath(name);
        System.IO.Directory.CreateDirectory(_temp);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = Path.Combine(_temp, $"{name}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096))
            {
                stream.Write(data);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch (FileNotFoundException)
        {
            // `cache clear` in another process deleted the temp file under us: the entry is simply not stored.
            return;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        lock (_gate)
        {
            var index = EnsureIndex();
            if (index.TryGetValue(name, out var old))
            {
                _bytes -= old.Length;
            }

            index[name] = (data.Length, DateTime.UtcNow);
            _bytes += data.Length;
            if (_bytes > MaxBytes)
            {
                EvictLocked();
            }
        }
    }

    /// <summary>
    /// Deletes every entry and temp file the cache wrote; leaves the marker, the folders and anything else
    /// (counted in the result). Safe while other processes use the cache: their entries written meanwhile stay,
    /// a temp file deleted under a writer only means that entry is not stored.
    /// </summary>
    /// <exception cref="FeatureCacheException">The folder is not a feature cache (see the remarks); nothing is deleted.</exception>
    public FeatureCacheClearResult Clear()
    {
        lock (_gate)
        {
            if (!EnsureCacheFolder())
            {
                return default;
            }

            var scan = Scan(ScanMode.Delete);
            _index = new Dictionary<string, (long, DateTime)>(StringComparer.Ordinal);
            _bytes = 0;
            return new FeatureCacheClearResult(scan.Index.Count, scan.Bytes, scan.TempFiles, scan.ForeignItems, scan.FirstForeignItem);
        }
    }

    /// <summary>
    /// Like <see cref="Stats"/> for <c>cache info</c>: also refuses a folder that exists but is not a cache
    /// (without a <c>v1</c> of its own), where <see cref="Stats"/> would report an empty cache.
    /// </summary>
    /// <exception cref="FeatureCacheException">The folder is not a feature cache.</exception>
    public FeatureCacheStats Inspect()
    {
        lock (_gate)
        {
            return EnsureCacheFolder() ? Stats : default;
        }
    }

    internal string EntryPath(ReadOnlySpan<byte> contentHash, string featurizerId)
    {
        Span<byte> key = stackalloc byte[32];
        EntryKey(contentHash, featurizerId, key);
        return EntryPath(Convert.ToHexStringLower(key));
    }

    internal string TempDirectory => _temp;

    private string EntryPath(string name) => Path.Combine(_entries, name[..2], name[2..] + ".f32");

    private static void EntryKey(ReadOnlySpan<byte> contentHash, string featurizerId, Span<byte> key)
    {
        if (contentHash.Length < 16)
        {
            throw new ArgumentException($"content hash of {contentHash.Length} bytes is too short (use HashContent)", nameof(contentHash));
        }

        ArgumentException.ThrowIfNullOrEmpty(featurizerId);
        var id = Encoding.UTF8.GetBytes(featurizerId);
        var material = new byte[contentHash.Length + 1 + id.Length];
        contentHash.CopyTo(material);
        id.CopyTo(material, contentHash.Length + 1);
        SHA256.HashData(material, key);
    }

    private static void Checksum(ReadOnlySpan<byte> key, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(key);
        hash.AppendData(payload);
        Span<byte> full = stackalloc byte[32];
        hash.GetHashAndReset(full);
        full[..8].CopyTo(destination);
    }

    private static bool Valid(byte[] data, ReadOnlySpan<byte> key, int count)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(data) != Magic || BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(4)) != count)
        {
            return false;
        }

        Span<byte> sum = stackalloc byte[8];
        Checksum(key, data.AsSpan(HeaderLength), sum);
        return sum.SequenceEqual(data.AsSpan(8, 8));
    }

    private static bool ReadFully(Microsoft.Win32.SafeHandles.SafeFileHandle handle, byte[] buffer)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer.AsSpan(done), done);
            if (n <= 0)
            {
                return false;
            }

            done += n;
        }

        return true;
    }

    private Dictionary<string, (long Length, DateTime LastUse)> EnsureIndex()
    {
        if (_index is not null)
        {
            return _index;
        }

        EnsureOwned(create: false);
        var scan = Scan(ScanMode.Index);
        _index = scan.Index;
        _bytes = scan.Bytes;
        _foreignItems = scan.ForeignItems;
        return _index;
    }

    /// <summary>For <c>cache clear</c> / <c>cache info</c>: false when there is no cache and nothing else at the folder; throws when the folder holds something else.</summary>
    private bool EnsureCacheFolder()
    {
        EnsureOwned(create: false);
        if (_owned)
        {
            return true;
        }

        // No v1 yet: an absent or empty folder is an empty cache; a folder with other things in it is not a cache
        // (most likely a mistyped --cache-dir), said rather than reported as "0 entries".
        if (System.IO.Directory.Exists(Directory) && System.IO.Directory.EnumerateFileSystemEntries(Directory).FirstOrDefault() is { } other)
        {
            throw NotACache($"it has no {Path.Combine("v1", MarkerFileName)} marker and holds {Quote(Path.GetFileName(other))}");
        }

        return false;
    }

    /// <summary>
    /// Checks once per instance that the folder is this cache's: the marker is there, or v1 is a cache from
    /// before markers (then the marker is written), or v1 is absent (then <paramref name="create"/> makes it,
    /// marker first). Throws <see cref="FeatureCacheException"/> for anything else.
    /// </summary>
    private void EnsureOwned(bool create)
    {
        if (_owned)
        {
            return;
        }

        lock (_gate)
        {
            if (_owned)
            {
                return;
            }

            if (File.Exists(Directory))
            {
                throw NotACache("it is a file");
            }

            var v1 = new DirectoryInfo(_entries);
            if (IsLink(v1) || File.Exists(_entries))
            {
                throw NotACache("v1 is " + (IsLink(v1) ? "a symbolic link" : "a file") + ", and the cache never follows links out of its folder");
            }

            if (!v1.Exists)
            {
                if (!create)
                {
                    return; // nothing to read or delete yet
                }

                System.IO.Directory.CreateDirectory(_entries);
                WriteMarker();
            }
            else if (!HasMarker())
            {
                // A cache written before markers: adopt it only if every item verifies as ours (name, header, checksum).
                var scan = Scan(ScanMode.Verify);
                if (scan.FirstForeignItem is { } foreign)
                {
                    throw NotACache($"it has no {Path.Combine("v1", MarkerFileName)} marker and holds {Quote(foreign)}, which the cache did not write");
                }

                WriteMarker();
            }

            _owned = true;
        }
    }

    private FeatureCacheException NotACache(string why) =>
        new($"{Quote(Directory)} is not a CNN feature cache: {why}; nothing was deleted (choose another --cache-dir, or --no-cache)");

    private static string Quote(string text) => "'" + Printable(text) + "'";

    /// <summary>A name with its line breaks escaped, so a file name cannot forge a line of output.</summary>
    private static string Printable(string text) => text.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);

    private bool HasMarker()
    {
        var marker = new FileInfo(Path.Combine(_entries, MarkerFileName));
        if (!marker.Exists || IsLink(marker) || marker.Length > 4096)
        {
            return false;
        }

        try
        {
            var text = File.ReadAllText(marker.FullName);
            return text.StartsWith(MarkerSignature, StringComparison.Ordinal) && text.Contains(MarkerOwnerLine, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Writes the marker through a temp file and a rename, so a reader sees a whole marker or none.</summary>
    private void WriteMarker()
    {
        var marker = Path.Combine(_entries, MarkerFileName);
        var temp = Path.Combine(_entries, $"{MarkerFileName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, MarkerText);
            File.Move(temp, marker, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private enum ScanMode
    {
        /// <summary>List entries; delete temp files older than <see cref="StaleTempAge"/>.</summary>
        Index,

        /// <summary>Delete entries and temp files.</summary>
        Delete,

        /// <summary>Delete nothing; an entry whose header or checksum does not verify counts as foreign.</summary>
        Verify,
    }

    private sealed record ScanResult(Dictionary<string, (long Length, DateTime LastUse)> Index, long Bytes, int TempFiles, int ForeignItems, string? FirstForeignItem);

    /// <summary>
    /// The one walk over <c>v1</c> that indexing, clearing and adoption share, so all three recognise the same
    /// files as the cache's: regular files named like an entry in a shard folder, and temp files in <c>tmp</c>.
    /// Symbolic links are never followed (a linked shard folder is foreign) and foreign folders are not entered.
    /// </summary>
    private ScanResult Scan(ScanMode mode)
    {
        var index = new Dictionary<string, (long, DateTime)>(StringComparer.Ordinal);
        long bytes = 0;
        int temps = 0;
        int foreign = 0;
        string? firstForeign = null;
        void Foreign(FileSystemInfo item)
        {
            foreign++;
            firstForeign ??= Printable(Path.GetRelativePath(Directory, item.FullName));
        }

        var root = new DirectoryInfo(_entries);
        if (!root.Exists)
        {
            return new ScanResult(index, 0, 0, 0, null);
        }

        var now = DateTime.UtcNow;
        foreach (var item in root.EnumerateFileSystemInfos())
        {
            if (item is not DirectoryInfo dir || IsLink(item))
            {
                if (!(item.Name == MarkerFileName && mode != ScanMode.Verify && !IsLink(item)))
                {
                    Foreign(item);
                }

                continue;
            }

            if (dir.Name == TempFolderName)
            {
                foreach (var inner in dir.EnumerateFileSystemInfos())
                {
                    if (inner is not FileInfo temp || IsLink(temp) || !IsTempName(temp.Name))
                    {
                        Foreign(inner);
                        continue;
                    }

                    temps++;
                    if (mode == ScanMode.Delete || (mode == ScanMode.Index && now - temp.LastWriteTimeUtc > StaleTempAge))
                    {
                        TryDelete(temp.FullName);
                    }
                }

                continue;
            }

            if (!IsLowerHex(dir.Name, 2))
            {
                Foreign(dir);
                continue;
            }

            foreach (var inner in dir.EnumerateFileSystemInfos())
            {
                if (inner is not FileInfo file || IsLink(file) || !IsEntryName(file.Name)
                    || (mode == ScanMode.Verify && !VerifiesAsEntry(file, dir.Name)))
                {
                    Foreign(inner);
                    continue;
                }

                index[dir.Name + file.Name[..^4]] = (file.Length, file.LastWriteTimeUtc);
                bytes += file.Length;
                if (mode == ScanMode.Delete)
                {
                    TryDelete(file.FullName);
                }
            }
        }

        return new ScanResult(index, bytes, temps, foreign, firstForeign);
    }

    /// <summary>An entry file of a cache from before markers: its length, header and checksum (keyed by its name) all agree.</summary>
    private static bool VerifiesAsEntry(FileInfo file, string shard)
    {
        // The length check comes first so a FIFO or device (length 0) is never opened.
        if (file.Length < HeaderLength + sizeof(float) || (file.Length - HeaderLength) % sizeof(float) != 0 || file.Length > HeaderLength + (1 << 20))
        {
            return false;
        }

        try
        {
            var data = File.ReadAllBytes(file.FullName);
            var key = Convert.FromHexString(shard + file.Name[..^4]);
            return data.Length == file.Length && Valid(data, key, (data.Length - HeaderLength) / sizeof(float));
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>True for a regular file (not a link) at an entry's place in a shard folder that is not a link either.</summary>
    private static bool IsEntryFile(string path)
    {
        var file = new FileInfo(path);
        return file.Exists && !IsLink(file) && file.Directory is { } shard && !IsLink(shard);
    }

    private static bool IsLink(FileSystemInfo item) => item.LinkTarget is not null;

    /// <summary><c>&lt;62 hex&gt;.f32</c>: the rest of an entry's SHA-256 name after its shard folder.</summary>
    private static bool IsEntryName(string name) =>
        name.Length == 66 && name.EndsWith(".f32", StringComparison.Ordinal) && IsLowerHex(name.AsSpan(0, 62), 62);

    /// <summary><c>&lt;64 hex&gt;.&lt;process id&gt;.&lt;guid&gt;.tmp</c>, as <see cref="Put"/> names its temp files.</summary>
    private static bool IsTempName(string name)
    {
        var parts = name.Split('.');
        return parts.Length == 4 && parts[3] == "tmp" && IsLowerHex(parts[0], 64)
            && parts[1].Length is > 0 and < 11 && parts[1].All(char.IsAsciiDigit)
            && parts[2].Length is > 0 and <= 32 && parts[2].All(char.IsAsciiLetterOrDigit);
    }

    private static bool IsLowerHex(ReadOnlySpan<char> text, int length)
    {
        if (text.Length != length)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }

    private void EvictLocked()
    {
        var index = EnsureIndex();
        long target = MaxBytes / 10 * 9;
        foreach (var (name, entry) in index.OrderBy(e => e.Value.LastUse).ToList())
        {
            if (_bytes <= target)
            {
                break;
            }

            // The same rule as Clear: only a regular file at an entry's place, never through a link.
            var path = EntryPath(name);
            if (IsEntryFile(path))
            {
                TryDelete(path);
            }

            index.Remove(name);
            _bytes -= entry.Length;
            _evictions++;
        }
    }

    private static void TryTouch(string path, DateTime now)
    {
        try
        {
            File.SetLastWriteTimeUtc(path, now);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
