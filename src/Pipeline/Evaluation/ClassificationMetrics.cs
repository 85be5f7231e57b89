using ImageWorkbench.Runtime;
namespace ImageWorkbench.Pipeline.Evaluation;

/// <summary>Precision, recall, F1 and support of one class.</summary>
public sealed record ClassMetrics(string Class, double Precision, double Recall, double F1, int Support);

/// <summary>One scored test image: what it is, what the model said, and how sure it was.</summary>
public sealed record ScoredImage(int Index, string Name, int TrueLabel, int PredictedLabel, float Confidence)
{
    public bool Correct => TrueLabel == PredictedLabel;
}

/// <summary>
/// Multiclass quality figures computed from class-probability vectors: accuracy, macro accuracy (mean per-class
/// recall), macro F1, log-loss, top-k accuracy, per-class figures and the confusion matrix (rows true, columns
/// predicted, in <see cref="Classes"/> order).
/// </summary>
public sealed class ClassificationMetrics
{
    private const double LogLossFloor = 1e-15;

    private ClassificationMetrics(IReadOnlyList<string> classes, int count, double accuracy, double macroAccuracy, double macroF1, double logLoss, IReadOnlyDictionary<int, double> topK, IReadOnlyList<ClassMetrics> perClass, int[][] confusion, IReadOnlyList<ScoredImage> scored)
    {
        Classes = classes;
        Count = count;
        Accuracy = accuracy;
        MacroAccuracy = macroAccuracy;
        MacroF1 = macroF1;
        LogLoss = logLoss;
        TopKAccuracy = topK;
        PerClass = perClass;
        ConfusionMatrix = confusion;
        Scored = scored;
    }

    public IReadOnlyList<string> Classes { get; }

    public int Count { get; }

    public double Accuracy { get; }

    public double MacroAccuracy { get; }

    public double MacroF1 { get; }

    public double LogLoss { get; }

    /// <summary>Top-k accuracy for k = 1, 3, 5 where there are more than k classes.</summary>
    public IReadOnlyDictionary<int, double> TopKAccuracy { get; }

    public IReadOnlyList<ClassMetrics> PerClass { get; }

    /// <summary>Counts, rows true class, columns predicted class.</summary>
    public int[][] ConfusionMatrix { get; }

    /// <summary>Every test image with its prediction, in test order.</summary>
    public IReadOnlyList<ScoredImage> Scored { get; }

    /// <summary>Computes every figure from true labels and per-image score vectors (probabilities, in class order).</summary>
    public static ClassificationMetrics Compute(IReadOnlyList<string> classes, IReadOnlyList<int> labels, IReadOnlyList<float[]> scores, IReadOnlyList<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(scores);
        if (labels.Count != scores.Count)
        {
            throw new ArgumentException($"{labels.Count} labels but {scores.Count} score vectors");
        }

        if (labels.Count == 0)
        {
            throw new WorkbenchException("nothing to evaluate: the test set has no readable images");
        }

        var k = classes.Count;
        var confusion = new int[k][];
        for (var i = 0; i < k; i++)
        {
            confusion[i] = new int[k];
        }

        int[] ks = [1, 3, 5];
        var usedKs = ks.Where(x => x == 1 || x < k).ToArray();
        var topKHits = new int[usedKs.Length];
        double logLossSum = 0;
        var scored = new ScoredImage[labels.Count];
        for (var n = 0; n < labels.Count; n++)
        {
            var s = scores[n];
            if (s.Length != k)
            {
                throw new ArgumentException($"score vector {n} has {s.Length} entries, expected {k}");
            }

            var truth = labels[n];
            var predicted = ArgMax(s);
            confusion[truth][predicted]++;
            var pTrue = Math.Clamp(s[truth], LogLossFloor, 1.0);
            logLossSum -= Math.Log(pTrue);

            // Rank of the true class: how many classes scored strictly higher (ties favour the truth, as argmax's
            // first-index rule does for the top-1 case only when the truth comes first).
            var higher = 0;
            for (var c = 0; c < k; c++)
            {
                if (s[c] > s[truth] || (s[c] == s[truth] && c < truth))
                {
                    higher++;
                }
            }

            for (var i = 0; i < usedKs.Length; i++)
            {
                if (higher < usedKs[i])
                {
                    topKHits[i]++;
                }
            }

            scored[n] = new ScoredImage(n, names?[n] ?? n.ToString(System.Globalization.CultureInfo.InvariantCulture), truth, predicted, s[predicted]);
        }

        var perClass = new ClassMetrics[k];
        var correct = 0;
        for (var c = 0; c < k; c++)
        {
            var tp = confusion[c][c];
            correct += tp;
            var support = confusion[c].Sum();
            var predictedCount = 0;
            for (var r = 0; r < k; r++)
            {
                predictedCount += confusion[r][c];
            }

            var precision = predictedCount == 0 ? 0 : (double)tp / predictedCount;
            var recall = support == 0 ? 0 : (double)tp / support;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass[c] = new ClassMetrics(classes[c], precision, recall, f1, support);
        }

        // Macro figures average over classes that occur in the test set, as ML.NET's MacroAccuracy does.
        var present = perClass.Where(p => p.Support > 0).ToArray();
        var topK = new Dictionary<int, double>();
        for (var i = 0; i < usedKs.Length; i++)
        {
            topK[usedKs[i]] = (double)topKHits[i] / labels.Count;
        }

        return new ClassificationMetrics(
            classes,
            labels.Count,
            (double)correct / labels.Count,
            present.Average(p => p.Recall),
            present.Average(p => p.F1),
            logLossSum / labels.Count,
            topK,
            perClass,
            confusion,
            scored);
    }

    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
