using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Cnn;
namespace ImageWorkbench.Pipeline.Training;

/// <summary>The ML.NET multiclass trainer that learns from the features.</summary>
public enum TrainerKind
{
    /// <summary>SDCA maximum entropy (linear, normalised features).</summary>
    Sdca,

    /// <summary>L-BFGS maximum entropy / multinomial logistic regression (linear, normalised features).</summary>
    Lbfgs,

    /// <summary>LightGBM multiclass gradient-boosted trees.</summary>
    LightGbm,

    /// <summary>FastTree boosted trees, one versus all.</summary>
    FastTree,

    /// <summary>
    /// An RBF-kernel head made fast: random Fourier features (ML.NET's <c>ApproximatedKernelMap</c>) of the
    /// standardised features, beside the features themselves, into L-BFGS maximum entropy.
    /// </summary>
    Rff,
}

/// <summary>Everything one training run needs besides the data.</summary>
public sealed record TrainingOptions
{
    /// <summary>The pipeline (a wing from <c>PipelineRegistry</c>) that featurizes the images and knows its defaults.</summary>
    public required IPipelineWing Pipeline { get; init; }

    /// <summary>The trainer; null picks the pipeline's default (<see cref="IPipelineWing.DefaultTrainer"/>).</summary>
    public TrainerKind? Trainer { get; init; }

    public int Seed { get; init; } = 42;

    /// <summary>Evaluate on the data set's test split after training and record it in the package.</summary>
    public bool EvaluateOnTest { get; init; } = true;

    /// <summary>Largest fraction of images that may be unreadable before the run fails: 0 fails on any, 1 never fails.</summary>
    public double MaxBadImageFraction
    {
        get => _maxBadImageFraction;
        init => _maxBadImageFraction = CheckFraction(value, "max bad image fraction");
    }

    /// <summary>
    /// Options that only one pipeline reads, each an options record from its wing's folder (e.g. the hand-crafted
    /// feature set, the CNN preprocessing). A wing finds its own with <see cref="OptionsOf{T}"/> and ignores the
    /// others; a missing record means that pipeline's defaults.
    /// </summary>
    public IReadOnlyList<IPipelineOptions> PipelineOptions { get; init; } = [];

    /// <summary>Reuse features computed before for the same image content, where the pipeline keeps a feature cache (the CNN does).</summary>
    public bool UseFeatureCache { get; init; } = true;

    /// <summary>Feature cache folder; null uses the feature cache's default folder.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Cap on trainer iterations (null = the trainer's default); tests use small values.</summary>
    public int? MaxIterations
    {
        get => _maxIterations;
        init => _maxIterations = value is <= 0 ? throw new WorkbenchException($"max iterations must be positive, got {value}") : value;
    }

    /// <summary>The options record of type <typeparamref name="T"/> in <see cref="PipelineOptions"/>, or null.</summary>
    public T? OptionsOf<T>()
        where T : class, IPipelineOptions => PipelineOptions.OfType<T>().FirstOrDefault();

    private readonly double _maxBadImageFraction = 0.01;
    private readonly int? _maxIterations;

    /// <summary>A fraction from 0 to 1, both included; NaN is refused (it passes every range comparison).</summary>
    internal static double CheckFraction(double value, string what) =>
        double.IsNaN(value) || value < 0 || value > 1
            ? throw new WorkbenchException($"{what} must be between 0 and 1, got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}")
            : value;
}
