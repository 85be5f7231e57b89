using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;

namespace ImageWorkbench.FeatureExtractors;

/// <summary>One named slice of a feature vector: <c>features[Offset .. Offset + Length)</c>.</summary>
public readonly record struct FeatureSegment(string Name, int Offset, int Length)
{
    /// <summary>One past the last index.</summary>
    public int End => Offset + Length;
}

/// <summary>
/// Immutable, thread-safe definition of a feature vector: a fixed input shape and a fixed, ordered list of
/// named extractors whose outputs are concatenated. The layout (<see cref="Segments"/>) is part of the
/// contract a saved model relies on: same name, same shape, same segments, same vector.
/// </summary>
public sealed class FeatureSetDefinition
{
    private readonly IFeatureExtractorOptions[] _parts;

    /// <summary>Creates a definition; segment names must be unique and non-empty.</summary>
    public FeatureSetDefinition(string name, ImageShape inputShape, IEnumerable<(string Segment, IFeatureExtractorOptions Options)> parts)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(parts);
        inputShape.Validate();
        var list = parts.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("a feature set needs at least one extractor", nameof(parts));
        }

        var segments = new FeatureSegment[list.Count];
        var names = new HashSet<string>(StringComparer.Ordinal);
        int offset = 0;
        for (int i = 0; i < list.Count; i++)
        {
            var (segment, options) = list[i];
            ArgumentException.ThrowIfNullOrWhiteSpace(segment);
            ArgumentNullException.ThrowIfNull(options);
            if (!names.Add(segment))
            {
                throw new ArgumentException($"duplicate segment name '{segment}'", nameof(parts));
            }

            int length = options.GetOutputLength(inputShape);
            segments[i] = new FeatureSegment(segment, offset, length);
            offset += length;
        }

        Name = name;
        InputShape = inputShape;
        OutputLength = offset;
        _parts = list.Select(p => p.Options).ToArray();
        Segments = new ReadOnlyCollection<FeatureSegment>(segments);
        Extractors = new ReadOnlyCollection<IFeatureExtractorOptions>(_parts);
    }

    /// <summary>Stable name (for presets, e.g. <c>grey28-v1</c>).</summary>
    public string Name { get; }

    /// <summary>The only image shape this set accepts.</summary>
    public ImageShape InputShape { get; }

    /// <summary>Total number of features.</summary>
    public int OutputLength { get; }

    /// <summary>Contiguous segments in output order.</summary>
    public IReadOnlyList<FeatureSegment> Segments { get; }

    /// <summary>The extractor options, parallel to <see cref="Segments"/>.</summary>
    public IReadOnlyList<IFeatureExtractorOptions> Extractors { get; }

    /// <summary>The segment called <paramref name="name"/>.</summary>
    public FeatureSegment GetSegment(string name) =>
        Segments.FirstOrDefault(s => s.Name == name) is { Name: not null } s
            ? s
            : throw new ArgumentException($"no segment '{name}' in {Name}; segments: {string.Join(", ", Segments.Select(x => x.Name))}", nameof(name));

    /// <summary>
    /// Every option that determines the vector, one line per segment, for model metadata, e.g.
    /// <c>grey28-v1 input=28x28x1 length=1826</c> then <c>hog4 [0,1296) hog(...)</c>.
    /// </summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Name} input={InputShape} length={OutputLength}");
        for (int i = 0; i < _parts.Length; i++)
        {
            FeatureSegment s = Segments[i];
            sb.Append('\n').Append(CultureInfo.InvariantCulture, $"{s.Name} [{s.Offset},{s.End}) {_parts[i].Name}");
        }

        return sb.ToString();
    }

    /// <summary>Creates a worker (a <see cref="FeatureSet"/>); create one per thread.</summary>
    public IFeatureExtractor CreateExtractor() => new FeatureSet(this);

    public override string ToString() => $"{Name} ({InputShape} -> {OutputLength})";
}

/// <summary>
/// Worker for a <see cref="FeatureSetDefinition"/>: runs each extractor into its segment of the output.
/// Not thread-safe; <see cref="Extract"/> allocates nothing.
/// </summary>
public sealed class FeatureSet : IFeatureExtractor
{
    private readonly IFeatureExtractor[] _workers;
    private readonly FeatureSegment[] _segments;
    private readonly Hog?[] _donors; // a HOG worker earlier in the list whose per-pixel votes this one can reuse

    /// <summary>Creates a worker for <paramref name="definition"/>.</summary>
    public FeatureSet(FeatureSetDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        Definition = definition;
        _segments = [.. definition.Segments];
        _workers = definition.Extractors.Select(o => o.CreateExtractor(definition.InputShape)).ToArray();
        for (int i = 0; i < _workers.Length; i++)
        {
            if (_workers[i].OutputLength != _segments[i].Length)
            {
                throw new InvalidOperationException($"extractor {_workers[i].Name} writes {_workers[i].OutputLength} features, its segment has {_segments[i].Length}");
            }
        }

        _donors = new Hog?[_workers.Length];
        for (int i = 0; i < _workers.Length; i++)
        {
            if (_workers[i] is Hog hog)
            {
                _donors[i] = _workers.Take(i).OfType<Hog>().FirstOrDefault(d => d.CanShareVotesWith(hog) && _donors[Array.IndexOf(_workers, d)] is null);
            }
        }
    }

    /// <summary>The definition this worker runs.</summary>
    public FeatureSetDefinition Definition { get; }

    /// <inheritdoc/>
    public string Name => Definition.Name;

    /// <inheritdoc/>
    public ImageShape InputShape => Definition.InputShape;

    /// <inheritdoc/>
    public int OutputLength => Definition.OutputLength;

    /// <summary>The layout, as in <see cref="FeatureSetDefinition.Segments"/>.</summary>
    public IReadOnlyList<FeatureSegment> Segments => Definition.Segments;

    /// <inheritdoc/>
    public void Extract(ReadOnlySpan<float> image, Span<float> features)
    {
        if (image.Length != InputShape.Length)
        {
            throw new ArgumentException($"{Name} takes {InputShape} images ({InputShape.Length} floats), got {image.Length} floats", nameof(image));
        }

        if (features.Length < OutputLength)
        {
            throw new ArgumentException($"features buffer holds {features.Length} floats, {OutputLength} are needed", nameof(features));
        }

        for (int i = 0; i < _workers.Length; i++)
        {
            Span<float> segment = features.Slice(_segments[i].Offset, _segments[i].Length);
            if (_donors[i] is { } donor)
            {
                ((Hog)_workers[i]).ExtractSharing(donor, segment); // same gradients, angles and votes: skip recomputing them
            }
            else
            {
                _workers[i].Extract(image, segment);
            }
        }
    }
}
