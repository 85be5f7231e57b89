using System.Text;

namespace ImageWorkbench.Pipeline.Tests.CnnScratch;

/// <summary>
/// build/LibTorchSharpGlibcxx.targets: the libLibTorchSharp.so copied beside these tests needs GLIBCXX_3.4.32 only
/// weakly (so it loads on Debian 12's libstdc++, 3.4.30), and the copy in the NuGet cache is left as it came.
/// </summary>
public sealed class LibTorchSharpPatchTests
{
    private const string Version = "GLIBCXX_3.4.32";

    [Fact]
    public void The_output_copy_needs_the_gcc13_version_weakly_and_the_package_cache_is_untouched()
    {
        var copy = Directory.EnumerateFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).First();
        Assert.Equal(VerFlgWeak, NeedFlags(File.ReadAllBytes(copy), Version));

        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var original = Path.Combine(cache, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (File.Exists(original))
        {
            Assert.Equal(0, NeedFlags(File.ReadAllBytes(original), Version) & VerFlgWeak);
            Assert.Equal(new FileInfo(original).Length, new FileInfo(copy).Length);
        }
    }

    private const int VerFlgWeak = 2;

    /// <summary>The vna_flags of the version need named <paramref name="name"/> (ELF64, little-endian); fails when there is none.</summary>
    private static int NeedFlags(byte[] elf, string name)
    {
        long sectionTable = BitConverter.ToInt64(elf, 0x28);
        int entrySize = BitConverter.ToUInt16(elf, 0x3A), sections = BitConverter.ToUInt16(elf, 0x3C);
        long Field64(int section, int offset) => BitConverter.ToInt64(elf, (int)(sectionTable + ((long)section * entrySize) + offset));
        for (var s = 0; s < sections; s++)
        {
            if (BitConverter.ToUInt32(elf, (int)(sectionTable + ((long)s * entrySize) + 4)) != 0x6ffffffe)
            {
                continue;
            }

            var strings = Field64(BitConverter.ToInt32(elf, (int)(sectionTable + ((long)s * entrySize) + 0x28)), 0x18);
            for (var need = (int)Field64(s, 0x18); ; need += BitConverter.ToInt32(elf, need + 12))
            {
                var aux = need + BitConverter.ToInt32(elf, need + 8);
                for (var a = 0; a < BitConverter.ToUInt16(elf, need + 2); a++, aux += BitConverter.ToInt32(elf, aux + 12))
                {
                    var at = (int)(strings + BitConverter.ToUInt32(elf, aux + 8));
                    if (Encoding.ASCII.GetString(elf, at, Array.IndexOf(elf, (byte)0, at) - at) == name)
                    {
                        return BitConverter.ToUInt16(elf, aux + 4);
                    }
                }

                if (BitConverter.ToInt32(elf, need + 12) == 0)
                {
                    break;
                }
            }
        }

        throw new Xunit.Sdk.XunitException($"no {name} version need found");
    }
}
