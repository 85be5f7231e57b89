using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using ImageWorkbench.FeatureExtractors;

namespace ImageWorkbench.Runtime.HandCrafted;

/// <summary>
/// The scorer as a package entry, so that loading a model can score without reading the ML.NET model at all: ML.NET's
/// loader and its first engine cost ~0.2 s of a 0.7 s 10,000-image <c>predict</c> run, and a one-image run is half
/// that. The entry holds the parameters <see cref="TryCreate"/> took from the ML.NET model when it was saved and the
/// engine's scores of the probe images then; a loader uses it only when this build, on this machine, gives those
/// scores bit for bit (else it loads the ML.NET model and checks against its engine, as without an entry).
/// </summary>
/// <remarks>
/// Layout, little-endian: "IWDL", version (int32), feature-set name (uint16 byte length, UTF-8), feature length F and
/// class count C (int32 each), has-offset (one byte), offset (F floats, if any), scale (F), weights (C x F, class by
/// class), biases (C), probe count P (int32), the engine's probe scores (P x C). The package's checksums cover the
/// entry like any other; a reader still checks every length against the model's metadata, so a crafted entry cannot
/// make it allocate more than the entry's own size.
/// </remarks>
internal sealed partial class DirectLinearScorer
{
    private const uint EntryMagic = 0x4C445749; // "IWDL"
    private const int EntryVersion = 1;

    /// <summary>This scorer and the engine's <paramref name="probeScores"/> (<see cref="ProbeScores"/>) as entry bytes.</summary>
    public byte[] ToEntry(IReadOnlyList<float[]> probeScores)
    {
        ArgumentNullException.ThrowIfNull(probeScores);
        var name = Encoding.UTF8.GetBytes(_features.Name);
        using var bytes = new MemoryStream();
        using (var writer = new BinaryWriter(bytes, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(EntryMagic);
            writer.Write(EntryVersion);
            writer.Write(checked((ushort)name.Length));
            writer.Write(name);
            writer.Write(_scale.Length);
            writer.Write(_biases.Length);
            writer.Write(_offset is null ? (byte)0 : (byte)1);
            WriteFloats(writer, _offset);
            WriteFloats(writer, _scale);
            foreach (var weights in _weights)
            {
                WriteFloats(writer, weights);
            }

            WriteFloats(writer, _biases);
            writer.Write(probeScores.Count);
            foreach (var scores in probeScores)
            {
                if (scores.Length != _biases.Length)
                {
                    throw new ArgumentException($"probe scores of {scores.Length} classes for a scorer of {_biases.Length}", nameof(probeScores));
                }

                WriteFloats(writer, scores);
            }
        }

        return bytes.ToArray();
    }

    /// <summary>
    /// The scorer an entry describes and the probe scores it records, when the entry is whole and fits a model of
    /// <paramref name="inputShape"/> and <paramref name="classCount"/> classes; null otherwise (the caller then uses
    /// the ML.NET model, which is the truth).
    /// </summary>
    public static (DirectLinearScorer Scorer, float[][] ProbeScores)? FromEntry(ReadOnlySpan<byte> entry, ImageShape inputShape, int classCount)
    {
        var reader = new EntryReader(entry);
        if (!reader.TryUInt32(out var magic) || magic != EntryMagic || !reader.TryInt32(out var version) || version != EntryVersion
            || !reader.TryUInt16(out var nameLength) || !reader.TryBytes(nameLength, out var nameBytes))
        {
            return null;
        }

        var name = Encoding.UTF8.GetString(nameBytes);
        if (!FeatureSetPresets.Names.Contains(name))
        {
            return null;
        }

        var features = FeatureSetPresets.Get(name);
        if (features.InputShape != inputShape
            || !reader.TryInt32(out var featureLength) || featureLength != features.OutputLength
            || !reader.TryInt32(out var classes) || classes != classCount
            || !reader.TryByte(out var hasOffset) || hasOffset > 1)
        {
            return null;
        }

        float[]? offset = null;
        if ((hasOffset == 1 && !reader.TryFloats(featureLength, out offset)) || !reader.TryFloats(featureLength, out var scale))
        {
            return null;
        }

        var weights = new float[classes][];
        for (var c = 0; c < classes; c++)
        {
            if (!reader.TryFloats(featureLength, out weights[c]))
            {
                return null;
            }
        }

        if (!reader.TryFloats(classes, out var biases) || !reader.TryInt32(out var probeCount) || probeCount < 1 || probeCount > 64)
        {
            return null;
        }

        var probeScores = new float[probeCount][];
        for (var p = 0; p < probeCount; p++)
        {
            if (!reader.TryFloats(classes, out probeScores[p]))
            {
                return null;
            }
        }

        return reader.AtEnd ? (new DirectLinearScorer(features, offset, scale, weights, biases), probeScores) : null;
    }

    private static void WriteFloats(BinaryWriter writer, float[]? values)
    {
        if (values is not null)
        {
            writer.Write(MemoryMarshal.AsBytes(values.AsSpan())); // little-endian on every machine .NET runs this library on
        }
    }

    /// <summary>Reads an entry front to back; every read checks the bytes left first, so no length is trusted.</summary>
    private ref struct EntryReader(ReadOnlySpan<byte> bytes)
    {
        private ReadOnlySpan<byte> _rest = bytes;

        public readonly bool AtEnd => _rest.IsEmpty;

        public bool TryBytes(int count, out ReadOnlySpan<byte> bytes)
        {
            if (count < 0 || count > _rest.Length)
            {
                bytes = default;
                return false;
            }

            bytes = _rest[..count];
            _rest = _rest[count..];
            return true;
        }

        public bool TryByte(out byte value)
        {
            value = TryBytes(1, out var b) ? b[0] : (byte)0;
            return !b.IsEmpty;
        }

        public bool TryUInt16(out ushort value)
        {
            value = TryBytes(2, out var b) ? BinaryPrimitives.ReadUInt16LittleEndian(b) : (ushort)0;
            return !b.IsEmpty;
        }

        public bool TryInt32(out int value)
        {
            value = TryBytes(4, out var b) ? BinaryPrimitives.ReadInt32LittleEndian(b) : 0;
            return !b.IsEmpty;
        }

        public bool TryUInt32(out uint value)
        {
            value = TryBytes(4, out var b) ? BinaryPrimitives.ReadUInt32LittleEndian(b) : 0;
            return !b.IsEmpty;
        }

        public bool TryFloats(int count, out float[] values)
        {
            if (count < 0 || count > _rest.Length / sizeof(float) || !TryBytes(count * sizeof(float), out var b))
            {
                values = [];
                return false;
            }

            values = MemoryMarshal.Cast<byte, float>(b).ToArray();
            return true;
        }
    }
}
