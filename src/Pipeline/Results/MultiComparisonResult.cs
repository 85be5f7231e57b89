namespace ImageWorkbench.Pipeline.Results;

/// <summary>Everything one <c>compare</c> over several data sets measured: one <see cref="ComparisonResult"/> per data set, in the order run.</summary>
/// <param name="Datasets">Each data set's comparison, as a one-data-set run would have produced it.</param>
/// <param name="Keys">A short unique name per data set (file-name and HTML-id safe; same order): where its models and pictures go.</param>
/// <param name="Command">The command line that produced it.</param>
/// <param name="Machine">A one-line description of the machine.</param>
/// <param name="CreatedUtc">When it ran.</param>
/// <param name="Seed">The split / training seed (the same for every data set).</param>
/// <param name="RunSeconds">Wall time of every data set's comparison together (loading the data and writing the report excluded).</param>
/// <param name="PeakWorkingSetBytes">Peak working set of the process by the end; 0 when not measured.</param>
public sealed record MultiComparisonResult(
    IReadOnlyList<ComparisonResult> Datasets,
    IReadOnlyList<string> Keys,
    string Command,
    string Machine,
    DateTimeOffset CreatedUtc,
    int Seed,
    double RunSeconds = double.NaN,
    long PeakWorkingSetBytes = 0);
