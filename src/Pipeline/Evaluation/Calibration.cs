namespace ImageWorkbench.Pipeline.Evaluation;

/// <summary>One confidence bin of a reliability diagram.</summary>
/// <param name="Low">Lower edge of the bin (confidence).</param>
/// <param name="High">Upper edge.</param>
/// <param name="Count">Test images whose top score falls in the bin.</param>
/// <param name="MeanConfidence">Their mean top score; NaN for an empty bin.</param>
/// <param name="Accuracy">The share of them predicted right; NaN for an empty bin.</param>
public sealed record CalibrationBin(double Low, double High, int Count, double MeanConfidence, double Accuracy);

/// <summary>How well a classifier's confidence matches how often it is right.</summary>
/// <param name="Ece">Expected calibration error: the count-weighted mean of |accuracy - mean confidence| over the bins, in 0..1; NaN for no images.</param>
/// <param name="Bins">Every bin, lowest confidence first (empty ones included, with NaN figures).</param>
public sealed record CalibrationSummary(double Ece, IReadOnlyList<CalibrationBin> Bins);

/// <summary>
/// Calibration of the predicted class's score (the confidence a gallery shows): a model that says 90 % should be right about
/// 90 % of the time. Images go into <see cref="DefaultBins"/> equal-width bins by confidence (bin i holds
/// [i / bins, (i + 1) / bins); a confidence of exactly 1 goes in the last); the expected calibration error (ECE, Guo et al. 2017)
/// weighs each bin's gap between accuracy and mean confidence by its share of the images.
/// </summary>
public static class Calibration
{
    /// <summary>Bins of the reliability diagram and the ECE (15, as Guo et al.).</summary>
    public const int DefaultBins = 15;

    public static CalibrationSummary Compute(IReadOnlyList<ScoredImage> scored, int bins = DefaultBins)
    {
        ArgumentNullException.ThrowIfNull(scored);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var count = new int[bins];
        var right = new int[bins];
        var confidence = new double[bins];
        foreach (var s in scored)
        {
            var c = Math.Clamp((double)s.Confidence, 0, 1);
            var bin = Math.Min((int)(c * bins), bins - 1);
            count[bin]++;
            confidence[bin] += c;
            right[bin] += s.Correct ? 1 : 0;
        }

        var result = new CalibrationBin[bins];
        double ece = 0;
        for (var b = 0; b < bins; b++)
        {
            var n = count[b];
            var meanConfidence = n == 0 ? double.NaN : confidence[b] / n;
            var accuracy = n == 0 ? double.NaN : right[b] / (double)n;
            result[b] = new CalibrationBin(b / (double)bins, (b + 1) / (double)bins, n, meanConfidence, accuracy);
            if (n > 0)
            {
                ece += n * Math.Abs(accuracy - meanConfidence);
            }
        }

        return new CalibrationSummary(scored.Count == 0 ? double.NaN : ece / scored.Count, result);
    }
}
