namespace ImageWorkbench.Pipeline;

/// <summary>A progress report: which stage, how far, how fast.</summary>
public sealed record TrainingProgress(string Stage, long Done, long Total, double ItemsPerSecond)
{
    public double Fraction => Total <= 0 ? 0 : (double)Done / Total;

    /// <summary>Estimated time left, when the rate is known.</summary>
    public TimeSpan? Remaining => ItemsPerSecond > 0 && Total > Done ? TimeSpan.FromSeconds((Total - Done) / ItemsPerSecond) : null;
}
