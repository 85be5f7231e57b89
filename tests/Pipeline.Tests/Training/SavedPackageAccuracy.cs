using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Tests.Training;

/// <summary>What a saved package scores when it predicts the test split from the images themselves.</summary>
internal static class SavedPackageAccuracy
{
    public static double Of(string packagePath, ImageDataset data)
    {
        using var loaded = ImageClassifier.Load(packagePath);
        var predicted = data.Test.Select(i => loaded.Predict(i.Source).Label).ToArray();
        return predicted.Where((label, i) => label == data.Classes[data.Test[i].Label]).Count() / (double)predicted.Length;
    }
}
