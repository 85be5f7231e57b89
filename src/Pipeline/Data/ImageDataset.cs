using ImageWorkbench.FeatureExtractors;
using ImageWorkbench.Runtime.Decoding;

namespace ImageWorkbench.Pipeline.Data;

/// <summary>One image and the index of its class in <see cref="ImageDataset.Classes"/>.</summary>
public sealed record LabeledImage(ImageSource Source, int Label);

/// <summary>
/// A labelled image set split into train and test. Built by <c>DatasetLoader</c>; the split is either
/// the data set's own (IDX train/t10k files, <c>train/</c> + <c>test/</c> folders) or a seeded stratified one.
/// </summary>
public sealed class ImageDataset
{
    public ImageDataset(string name, string location, IReadOnlyList<string> classes, IReadOnlyList<LabeledImage> train, IReadOnlyList<LabeledImage> test, bool hasOwnSplit, ImageShape? nativeShape)
    {
        Name = name;
        Location = location;
        Classes = classes;
        Train = train;
        Test = test;
        HasOwnSplit = hasOwnSplit;
        NativeShape = nativeShape;
    }

    /// <summary>Short name for reports, e.g. <c>fashion-mnist</c>.</summary>
    public string Name { get; }

    /// <summary>The path it was loaded from.</summary>
    public string Location { get; }

    /// <summary>Class names, in label order.</summary>
    public IReadOnlyList<string> Classes { get; }

    public IReadOnlyList<LabeledImage> Train { get; }

    public IReadOnlyList<LabeledImage> Test { get; }

    /// <summary>True when the split came with the data rather than from our seeded split.</summary>
    public bool HasOwnSplit { get; }

    /// <summary>The size and channel count every image shares, when known without decoding (IDX: 28x28x1); otherwise null.</summary>
    public ImageShape? NativeShape { get; }

    /// <summary>Share of the training split held out for validation when a caller does not choose one.</summary>
    public const double DefaultValidationFraction = 0.2;

    /// <summary>
    /// The training split divided again, seeded and stratified, for every model choice (trainer, hyperparameters,
    /// early stopping): the result's <see cref="Train"/> is what a candidate is fitted on and its <see cref="Test"/>
    /// is the validation split it is judged on. The real test split is not in it, so nothing chosen on it has seen
    /// a test image. Its own random stream ("validation") keeps it independent of the train/test split.
    /// </summary>
    public ImageDataset CarveValidation(int seed, DataWarnings warnings, double fraction = DefaultValidationFraction)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the validation share must be between 0 and 1");
        }

        var (fit, validation) = DatasetSplitter.Split(Train, Classes, fraction, seed, warnings, stream: "validation");
        return new ImageDataset(Name + " (validation)", Location, Classes, fit, validation, hasOwnSplit: false, NativeShape);
    }
}
