using System.Security.Cryptography;
using Pipeline.Data;
using Pipeline.Training;

namespace Pipeline.Tests.Hostile;

/// <summary>
/// Cases found by the audit of the merged fixes for issue 11 that the other hostile test classes did not cover.
/// </summary>
public sealed class HostileAuditTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hostile-audit-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_cnn_cache_key_of_a_file_near_the_image_limit_is_hashed_in_steps_not_read_whole()
    {
        // A sparse file costs no disk, yet the cache key used to read it into an array and copy it once more, beside the
        // decoder's own read: two 250 MiB sparse images took CNN training from 0.9 GB to 2.25 GB peak on two cores.
        string sparse = Path.Combine(_root, "sparse.png");
        using (var file = File.Create(sparse))
        {
            file.Write(HostileFiles.Picture(8, 8, 0, 1));
            file.SetLength(64L << 20);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        byte[]? hash = CnnTraining.ContentHash(ImageSource.FromFile(sparse));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        using (var file = File.OpenRead(sparse))
        {
            Assert.Equal(SHA256.HashData(file), hash);
        }

        Assert.True(allocated < 1L << 20, $"hashing a 64 MiB file allocated {allocated:N0} bytes");
    }
}
