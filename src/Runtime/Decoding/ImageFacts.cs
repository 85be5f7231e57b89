namespace ImageWorkbench.Runtime.Decoding;

/// <summary>
/// What an image was before it was fitted to a model's input: its stored size, how colourful it is (the mean over
/// pixels of max(R,G,B) - min(R,G,B), 0 for a grey image, 0..1) and its mean brightness (0..1). Measured while
/// decoding, at no extra pass; compared with what a model records of its training images.
/// </summary>
public readonly record struct ImageFacts(int Width, int Height, float Colourfulness, float Brightness);
