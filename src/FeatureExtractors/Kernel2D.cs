using System.Globalization;
using System.Text;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>
/// A 2-D filter kernel stored row-major (<see cref="Height"/> rows of <see cref="Width"/> values), with
/// optional separable factors: when present, <c>this[y, x] == ColumnFactor[y] * RowFactor[x]</c> and
/// filters may run the cheaper row-then-column path. Immutable; equality compares the values.
/// </summary>
public sealed record Kernel2D
{
    private readonly float[] _values;
    private readonly float[]? _row;
    private readonly float[]? _column;

    /// <summary>Creates a (non-separable) kernel from row-major values.</summary>
    /// <exception cref="ArgumentException">size is not positive or does not match the number of values.</exception>
    public Kernel2D(int width, int height, ReadOnlySpan<float> values)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ArgumentException($"kernel size must be positive, got {width}x{height}", nameof(width));
        }

        if (values.Length != width * height)
        {
            throw new ArgumentException($"a {width}x{height} kernel needs {width * height} values, got {values.Length}", nameof(values));
        }

        Width = width;
        Height = height;
        _values = values.ToArray();
    }

    private Kernel2D(int width, int height, float[] values, float[]? row, float[]? column)
    {
        Width = width;
        Height = height;
        _values = values;
        _row = row;
        _column = column;
    }

    /// <summary>Creates the separable kernel <c>K[y, x] = column[y] * row[x]</c>.</summary>
    public static Kernel2D Separable(ReadOnlySpan<float> row, ReadOnlySpan<float> column)
    {
        if (row.IsEmpty || column.IsEmpty)
        {
            throw new ArgumentException("separable factors must not be empty");
        }

        var values = new float[row.Length * column.Length];
        for (int y = 0; y < column.Length; y++)
        {
            for (int x = 0; x < row.Length; x++)
            {
                values[(y * row.Length) + x] = column[y] * row[x];
            }
        }

        return new Kernel2D(row.Length, column.Length, values, row.ToArray(), column.ToArray());
    }

    /// <summary>Kernel width (columns).</summary>
    public int Width { get; }

    /// <summary>Kernel height (rows).</summary>
    public int Height { get; }

    /// <summary>Row-major values.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>Horizontal factor (length <see cref="Width"/>), empty unless <see cref="IsSeparable"/>.</summary>
    public ReadOnlySpan<float> RowFactor => _row;

    /// <summary>Vertical factor (length <see cref="Height"/>), empty unless <see cref="IsSeparable"/>.</summary>
    public ReadOnlySpan<float> ColumnFactor => _column;

    /// <summary>True when the kernel carries separable factors.</summary>
    public bool IsSeparable => _row is not null;

    /// <summary>Anchor column used by "same"-size filtering: <c>Width / 2</c> (OpenCV and scipy.ndimage convention).</summary>
    public int AnchorX => Width / 2;

    /// <summary>Anchor row used by "same"-size filtering: <c>Height / 2</c>.</summary>
    public int AnchorY => Height / 2;

    /// <summary>Value at row <paramref name="y"/>, column <paramref name="x"/>.</summary>
    public float this[int y, int x] => _values[(y * Width) + x];

    /// <summary>The kernel rotated by 180 degrees (both axes reversed), as convolution uses it.</summary>
    public Kernel2D Flipped()
    {
        var v = (float[])_values.Clone();
        Array.Reverse(v);
        float[]? r = null, c = null;
        if (_row is not null && _column is not null)
        {
            r = (float[])_row.Clone();
            Array.Reverse(r);
            c = (float[])_column.Clone();
            Array.Reverse(c);
        }

        return new Kernel2D(Width, Height, v, r, c);
    }

    /// <summary>The kernel with rows and columns swapped.</summary>
    public Kernel2D Transposed()
    {
        var v = new float[_values.Length];
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                v[(x * Height) + y] = _values[(y * Width) + x];
            }
        }

        return new Kernel2D(Height, Width, v, _column, _row);
    }

    public bool Equals(Kernel2D? other) =>
        other is not null && Width == other.Width && Height == other.Height && _values.AsSpan().SequenceEqual(other._values);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Width);
        h.Add(Height);
        foreach (float v in _values)
        {
            h.Add(v);
        }

        return h.ToHashCode();
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Width}x{Height} [");
        for (int y = 0; y < Height; y++)
        {
            if (y > 0)
            {
                sb.Append("; ");
            }

            for (int x = 0; x < Width; x++)
            {
                if (x > 0)
                {
                    sb.Append(' ');
                }

                sb.Append(this[y, x].ToString(CultureInfo.InvariantCulture));
            }
        }

        return sb.Append(']').ToString();
    }
}
