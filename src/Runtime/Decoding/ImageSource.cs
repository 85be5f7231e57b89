namespace ImageWorkbench.Runtime.Decoding;

/// <summary>
/// Where the bytes of one image come from: a file, encoded bytes in memory (PNG, JPEG, ...), or raw 8-bit
/// pixels (IDX data sets hold 28x28 grey pixels with no container). Immutable and cheap to hold in the
/// thousands: raw pixels are a slice of one shared buffer, not a copy.
/// </summary>
public sealed class ImageSource
{
    private ImageSource(string name, ImageSourceKind kind, string? path, ReadOnlyMemory<byte> bytes, int width, int height, int channels)
    {
        Name = name;
        Kind = kind;
        Path = path;
        Bytes = bytes;
        RawWidth = width;
        RawHeight = height;
        RawChannels = channels;
    }

    /// <summary>What to call this image in messages and reports: a path, or e.g. <c>train-images-idx3-ubyte.gz#123</c>.</summary>
    public string Name { get; }

    public ImageSourceKind Kind { get; }

    /// <summary>The file, for <see cref="ImageSourceKind.File"/>.</summary>
    public string? Path { get; }

    /// <summary>Encoded bytes (<see cref="ImageSourceKind.Encoded"/>) or raw interleaved 8-bit pixels (<see cref="ImageSourceKind.RawPixels"/>).</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    public int RawWidth { get; }

    public int RawHeight { get; }

    public int RawChannels { get; }

    public static ImageSource FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new ImageSource(path, ImageSourceKind.File, path, ReadOnlyMemory<byte>.Empty, 0, 0, 0);
    }

    public static ImageSource FromEncoded(ReadOnlyMemory<byte> encoded, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new ImageSource(name, ImageSourceKind.Encoded, null, encoded, 0, 0, 0);
    }

    /// <summary>Raw interleaved 8-bit pixels (row-major, channels interleaved), e.g. one IDX image.</summary>
    public static ImageSource FromRawPixels(ReadOnlyMemory<byte> pixels, int width, int height, int channels, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (width <= 0 || height <= 0 || channels is not (1 or 3 or 4) || pixels.Length != width * height * channels)
        {
            throw new ArgumentException($"{name}: {pixels.Length} bytes do not make a {width}x{height}x{channels} image");
        }

        return new ImageSource(name, ImageSourceKind.RawPixels, null, pixels, width, height, channels);
    }

    public override string ToString() => Name;
}

public enum ImageSourceKind
{
    File,
    Encoded,
    RawPixels,
}
