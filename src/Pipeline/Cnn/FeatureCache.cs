using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Cnn;

/// <summary>Size of a <see cref="FeatureCache"/> and how it was used by this instance.</summary>
/// <param name="Entries">Entries on disk (as last seen by this instance).</param>
/// <param name="Bytes">Their total file length in bytes (what the size bound counts).</param>
/// <param name="Hits">Lookups answered from the cache by this instance.</param>
/// <param name="Misses">Lookups not answered (absent or invalid entries).</param>
/// <param name="Evictions">Entries this instance deleted to stay under the bound.</param>
public readonly record struct FeatureCacheStats(int Entries, long Bytes, long Hits, long Misses, long Evictions);

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

    private const uint Magic = 0x31465749; // "IWF1" little-endian
    private const int HeaderLength = 16;
    private static readonly TimeSpan StaleTempAge = TimeSpan.FromHours(1);

    private readonly object _gate = new();
    private readonly string _entries;
    private readonly string _temp;
    private Dictionary<string, (long Length, DateTime LastUse)>? _index;
    private long _bytes;
    private long _hits;
    private long _misses;
    private long _evictions;

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
                return new FeatureCacheStats(index.Count, _bytes, _hits, _misses, _evictions);
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
    public bool TryGet(ReadOnlySpan<byte> contentHash, string featurizerId, Span<float> features)
    {
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
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            present = true;
            long length = RandomAccess.GetLength(handle);
            if (length == expected && ReadFully(handle, buffer) && Valid(buffer, key, features.Length))
            {
                MemoryMarshal.Cast<byte, float>(buffer.AsSpan(HeaderLength)).CopyTo(features);
                ok = true;
            }
        }
        catch (FileNotFoundException)
        {
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
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

        if (present)
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
    public void Put(ReadOnlySpan<byte> contentHash, string featurizerId, ReadOnlySpan<float> features)
    {
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

    /// <summary>Deletes every entry (and left-over temp files).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            if (System.IO.Directory.Exists(_entries))
            {
                foreach (var dir in System.IO.Directory.EnumerateDirectories(_entries))
                {
                    foreach (var file in System.IO.Directory.EnumerateFiles(dir))
                    {
                        TryDelete(file);
                    }
                }
            }

            _index = new Dictionary<string, (long, DateTime)>(StringComparer.Ordinal);
            _bytes = 0;
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

        var index = new Dictionary<string, (long, DateTime)>(StringComparer.Ordinal);
        long bytes = 0;
        if (System.IO.Directory.Exists(_entries))
        {
            foreach (var dir in new DirectoryInfo(_entries).EnumerateDirectories())
            {
                if (dir.Name == "tmp")
                {
                    foreach (var temp in dir.EnumerateFiles())
                    {
                        if (DateTime.UtcNow - temp.LastWriteTimeUtc > StaleTempAge)
                        {
                            TryDelete(temp.FullName);
                        }
                    }

                    continue;
                }

                foreach (var file in dir.EnumerateFiles("*.f32"))
                {
                    index[dir.Name + Path.GetFileNameWithoutExtension(file.Name)] = (file.Length, file.LastWriteTimeUtc);
                    bytes += file.Length;
                }
            }
        }

        _index = index;
        _bytes = bytes;
        return index;
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

            TryDelete(EntryPath(name));
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
