using System.Globalization;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>How <see cref="DatasetLoader"/> splits and trims a data set. Immutable; values are checked when set.</summary>
public sealed record DatasetOptions
{
    private readonly double _testFraction = 0.2;
    private readonly int? _maxTrainPerClass;
    private readonly int? _maxTestPerClass;
    private readonly double _maxBadFraction = 0.01;

    /// <summary>Share of each class put in test when the data set has no split of its own; 0 &lt; f &lt; 1. Default 0.2.</summary>
    public double TestFraction
    {
        get => _testFraction;
        init
        {
            if (double.IsNaN(value) || value <= 0 || value >= 1)
            {
                throw new WorkbenchException($"test fraction must be between 0 and 1 (exclusive), got {value.ToString(CultureInfo.InvariantCulture)}");
            }

            _testFraction = value;
        }
    }

    /// <summary>Seed of the split and of the subsampling. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>When set, keep at most this many train images per class (seeded, stratified): for quick runs.</summary>
    public int? MaxTrainPerClass
    {
        get => _maxTrainPerClass;
        init => _maxTrainPerClass = CheckPositive(value, "max train images per class");
    }

    /// <summary>When set, keep at most this many test images per class (seeded, stratified).</summary>
    public int? MaxTestPerClass
    {
        get => _maxTestPerClass;
        init => _maxTestPerClass = CheckPositive(value, "max test images per class");
    }

    /// <summary>Most share of listed images (broken links, files gone) allowed to be skipped while loading; 0..1. Default 0.01.</summary>
    public double MaxBadFraction
    {
        get => _maxBadFraction;
        init
        {
            if (double.IsNaN(value) || value < 0 || value > 1)
            {
                throw new WorkbenchException($"max bad fraction must be between 0 and 1, got {value.ToString(CultureInfo.InvariantCulture)}");
            }

            _maxBadFraction = value;
        }
    }

    public static DatasetOptions Default { get; } = new();

    private static int? CheckPositive(int? value, string what)
    {
        if (value is <= 0)
        {
            throw new WorkbenchException($"{what} must be positive, got {value}");
        }

        return value;
    }
}
