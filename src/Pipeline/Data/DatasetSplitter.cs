namespace ImageWorkbench.Pipeline.Data;

/// <summary>
/// Seeded, stratified splitting and subsampling. Each class draws from its own random stream, derived from the
/// seed and the class name, so a class's split does not depend on other classes, on the order files were listed
/// in (callers pass items in ordinal path order), or on the .NET version (the generator is SplitMix64, not
/// <see cref="Random"/>). Results keep the input order.
/// </summary>
internal static class DatasetSplitter
{
    /// <summary>
    /// Puts round(n * fraction) images of each class in test, at least one and at most n - 1; a class with a single
    /// image keeps it in train (with a warning).
    /// </summary>
    public static (List<LabeledImage> Train, List<LabeledImage> Test) Split(IReadOnlyList<LabeledImage> items, IReadOnlyList<string> classes, double testFraction, int seed, DataWarnings warnings, string stream = "split")
    {
        bool[] isTest = new bool[items.Count];
        foreach ((int label, List<int> members) in GroupByClass(items))
        {
            if (members.Count == 1)
            {
                warnings.Note($"class '{classes[label]}'", "has a single image; it goes to train and the class has no test image", "a class has a single image; it goes to train and the class has no test image");
                continue;
            }

            int testCount = Math.Clamp((int)Math.Round(members.Count * testFraction, MidpointRounding.AwayFromZero), 1, members.Count - 1);
            Shuffle(members, new SplitMix64(seed, classes[label], stream));
            for (int i = 0; i < testCount; i++)
            {
                isTest[members[i]] = true;
            }
        }

        var train = new List<LabeledImage>(items.Count);
        var test = new List<LabeledImage>();
        for (int i = 0; i < items.Count; i++)
        {
            (isTest[i] ? test : train).Add(items[i]);
        }

        return (train, test);
    }

    /// <summary>Keeps at most <paramref name="perClass"/> images of each class, chosen at random (seeded).</summary>
    public static List<LabeledImage> Subsample(IReadOnlyList<LabeledImage> items, IReadOnlyList<string> classes, int perClass, int seed, string stream)
    {
        bool[] keep = new bool[items.Count];
        foreach ((int label, List<int> members) in GroupByClass(items))
        {
            if (members.Count > perClass)
            {
                Shuffle(members, new SplitMix64(seed, classes[label], stream));
            }

            for (int i = 0; i < Math.Min(perClass, members.Count); i++)
            {
                keep[members[i]] = true;
            }
        }

        var result = new List<LabeledImage>(Math.Min(items.Count, perClass * classes.Count));
        for (int i = 0; i < items.Count; i++)
        {
            if (keep[i])
            {
                result.Add(items[i]);
            }
        }

        return result;
    }

    /// <summary>
    /// Assigns every item to one of <paramref name="k"/> folds, stratified and seeded (stream "folds"): each class is
    /// shuffled on its own stream and dealt round the folds, starting where the previous class stopped, so fold sizes
    /// differ by at most one and each class is spread as evenly as its size allows. The folds partition the items.
    /// </summary>
    /// <returns>The fold (0 to k - 1) of each item, in input order.</returns>
    public static int[] Folds(IReadOnlyList<LabeledImage> items, IReadOnlyList<string> classes, int k, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 2);
        var fold = new int[items.Count];
        var next = 0;
        foreach ((int label, List<int> members) in GroupByClass(items))
        {
            Shuffle(members, new SplitMix64(seed, classes[label], "folds"));
            foreach (var member in members)
            {
                fold[member] = next;
                next = (next + 1) % k;
            }
        }

        return fold;
    }

    private static SortedDictionary<int, List<int>> GroupByClass(IReadOnlyList<LabeledImage> items)
    {
        var groups = new SortedDictionary<int, List<int>>();
        for (int i = 0; i < items.Count; i++)
        {
            if (!groups.TryGetValue(items[i].Label, out var list))
            {
                groups[items[i].Label] = list = [];
            }

            list.Add(i);
        }

        return groups;
    }

    private static void Shuffle(List<int> list, SplitMix64 rng)
    {
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
