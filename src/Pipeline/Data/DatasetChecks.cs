using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Files;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>Checks every data format makes on what it read, with the same messages.</summary>
internal static class DatasetChecks
{
    internal static void RequireTwoClasses(string path, IReadOnlyList<string> classes, IEnumerable<LabeledImage> images)
    {
        var present = images.Select(i => i.Label).Distinct().Order().ToList();
        if (present.Count == 0)
        {
            throw new DatasetException($"{path}: no images found (expected class folders of .jpg/.jpeg/.png/.bmp/.gif/.webp files, MNIST-style IDX files, or a .csv/.tsv manifest)");
        }

        if (present.Count == 1)
        {
            throw new DatasetException($"{path}: only one class ('{classes[present[0]]}') has images; a classifier needs at least two");
        }
    }

    /// <summary>
    /// Class names become model labels that predict prints: a blank name, or one with a control or invisible
    /// character (a newline would forge output lines, a bidi override would show another name), is refused. Names
    /// that differ only by letter case stay two classes: EMNIST's 'a' and 'A' are different classes.
    /// </summary>
    internal static void CheckClassNames(string where, IEnumerable<string> names)
    {
        foreach (string name in names)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new DatasetException($"{where}: a class name is blank ('{name}'); name each class with visible characters");
            }

            if (TerminalText.Escape(name) != name)
            {
                throw new DatasetException($"{where}: class name '{name}' contains a control or invisible character; rename it");
            }
        }
    }
}
