namespace ImageWorkbench.Runtime.Cnn;

/// <summary>
/// A frozen network that turns decoded images into feature vectors: the packaged ResNet18 (<see cref="ResNet18Featurizer"/>)
/// or any ONNX backbone (<see cref="OnnxBackboneFeaturizer"/>). Thread-safe.
/// </summary>
public interface ICnnFeatureEngine
{
    /// <summary>Identifies the features (network content and preprocessing): the feature cache's key.</summary>
    string Id { get; }

    /// <summary>How progress lines name the network, e.g. <c>ResNet18</c>.</summary>
    string DisplayName { get; }

    /// <summary>Floats in one input image (planar, 0..1, already at the network's size).</summary>
    int InputLength { get; }

    /// <summary>Floats in one feature vector.</summary>
    int FeatureLength { get; }

    /// <summary>Callers that can run at the same time.</summary>
    int Sessions { get; }

    /// <summary>Features of <paramref name="count"/> images one after another in <paramref name="images"/> into <paramref name="features"/>.</summary>
    void Featurize(ReadOnlySpan<float> images, int count, Span<float> features);
}
