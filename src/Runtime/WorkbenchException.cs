namespace ImageWorkbench.Runtime;

/// <summary>
/// An error caused by the user's input (a data set, a model file, an option), with a message fit to show
/// as-is: it names the file and what is wrong. The CLI prints it as one <c>error:</c> line, exit code 1.
/// </summary>
public class WorkbenchException : Exception
{
    public WorkbenchException()
    {
    }

    public WorkbenchException(string message)
        : base(message)
    {
    }

    public WorkbenchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A data set that cannot be used: missing path, bad IDX header, too few classes, too many bad images.</summary>
public sealed class DatasetException : WorkbenchException
{
    public DatasetException()
    {
    }

    public DatasetException(string message)
        : base(message)
    {
    }

    public DatasetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A model package that cannot be loaded: missing, truncated, tampered, of an unknown format version.</summary>
public sealed class ModelFormatException : WorkbenchException
{
    public ModelFormatException()
    {
    }

    public ModelFormatException(string message)
        : base(message)
    {
    }

    public ModelFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>An image that cannot be decoded (empty, truncated, not an image, absurd dimensions).</summary>
public sealed class ImageDecodeException : WorkbenchException
{
    public ImageDecodeException()
    {
    }

    public ImageDecodeException(string message)
        : base(message)
    {
    }

    public ImageDecodeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
