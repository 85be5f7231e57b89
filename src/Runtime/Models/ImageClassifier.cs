using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ImageWorkbench.FeatureExtractors;
using Microsoft.ML;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.HandCrafted;

namespace ImageWorkbench.Runtime.Models;

/// <summary>One prediction: the best label, its probability, and every class's score, best first.</summary>
public sealed record Prediction(string Label, float Confidence, IReadOnlyList<KeyValuePair<string, float>> Scores)
{
    /// <summary>
    /// Why the image looks unlike the model's training images (e.g. a colour photo given to a grey model), or null
    /// when it does not or the model records nothing to compare with (<see cref="ModelMetadata.TrainingImages"/>).
    /// The label is still the model's answer; treat it with suspicion.
    /// </summary>
    public string? OutOfDistribution { get; init; }
}

/// <summary>
/// The small API an app uses: load a model package, predict images. Thread-safe without a lock around each
/// prediction: each call borrows a prediction engine from a pool (ML.NET engines are not thread-safe, and building
/// one per call would be slow). Warms up on load so the first real call is fast.
/// <code>
/// using var classifier = ImageClassifier.Load("model.zip");
/// Prediction p = classifier.Predict("photo.jpg");
/// </code>
/// </summary>
public sealed partial class ImageClassifier : IDisposable
{
    private readonly MLContext _ml;
    private readonly ModelPackage _package;
    private readonly Microsoft.ML.Data.SchemaDefinition _inputSchema;
    private readonly ConcurrentBag<PredictionSlot> _slots = [];
    private readonly ResizeMode _resizeMode;
    private DirectLinearScorer? _direct;
    private bool _disposed;

    private ImageClassifier(MLContext ml, ModelPackage package)
    {
        _ml = ml;
        _package = package;
        Metadata = package.Metadata;
        _inputSchema = ModelInputPixels.PixelsSchema(Metadata.Input);
        _resizeMode = ModelInputPixels.ParseResizeMode(Metadata.Input.ResizeMode);
    }

    /// <summary>Everything the package records: classes, pipeline, trainer, metrics, expected input.</summary>
    public ModelMetadata Metadata { get; }

    public IReadOnlyList<string> Classes => Metadata.Classes;

    /// <summary>
    /// The model as the file holds it (format 3: <see cref="ImageModelInput"/> bytes in). The classifier itself decodes
    /// with the same decoder and scores from pixels on, reusing its buffers and naming images in errors.
    /// </summary>
    internal ITransformer SavedModel => _package.SavedModel;

    /// <summary>
    /// True when predictions are scored by <see cref="DirectLinearScorer"/> (a hand-crafted model with a linear head,
    /// checked at load to give ML.NET's scores bit for bit) instead of an ML.NET prediction engine.
    /// </summary>
    internal bool ScoresDirectly => _direct is not null;

    /// <summary>False while the ML.NET model is unread: the package's direct scorer entry answered for it (<see cref="ModelPackage.DirectScorerEntry"/>).</summary>
    internal bool ModelLoaded => _package.ModelLoaded;

    /// <summary>Loads a package; throws <see cref="ModelFormatException"/> when it is missing, damaged or of an unknown version.</summary>
    public static ImageClassifier Load(string path)
    {
        // The decode path is compiled on another core while ML.NET reads the model on this one (loading uses one).
        var decoderWarmUp = Environment.ProcessorCount > 1 ? Task.Run(ImageDecoder.WarmUp) : Task.CompletedTask;
        var ml = new MLContext(seed: 0);
        ModelPackage package;
        try
        {
            package = ModelPackage.LoadDeferred(ml, path);
        }
        finally
        {
            try
            {
                decoderWarmUp.Wait(); // never left running behind a failed load
            }
            catch (AggregateException)
            {
                // A decoder that cannot start (native SkiaSharp missing) fails the first real image, naming it.
            }
        }

        var classifier = new ImageClassifier(ml, package);
        try
        {
            classifier.ScoreDirectlyWhenItAgrees();
            classifier.WarmUp();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            classifier.Dispose();
            throw new ModelFormatException($"{path}: the model loads but cannot score an image ({ex.Message})", ex);
        }
        catch (ModelFormatException)
        {
            classifier.Dispose(); // the ML.NET model, read late (no usable scorer entry), is damaged
            throw;
        }

        return classifier;
    }

    public Prediction Predict(string imagePath) => Predict(ImageSource.FromFile(imagePath));

    /// <summary>Predicts an encoded image (PNG, JPEG, ...) held in memory.</summary>
    public Prediction Predict(ReadOnlyMemory<byte> encodedImage, string name = "image") => Predict(ImageSource.FromEncoded(encodedImage, name));

    public Prediction Predict(Stream encodedImage, string name = "stream")
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        // Bounded like a file: at most the decoder's limit + 1 bytes are copied, so an endless stream (a socket, a
        // device) cannot grow memory without end; the decoder then refuses the over-long copy naming the image.
        var limit = ImageDecoder.Default.MaxFileBytes;
        using var copy = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            int read;
            while (copy.Length <= limit && (read = encodedImage.Read(chunk, 0, (int)Math.Min(chunk.Length, limit + 1 - copy.Length))) > 0)
            {
                copy.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return Predict(new ReadOnlyMemory<byte>(copy.GetBuffer(), 0, (int)copy.Length), name); // no second copy
    }

    /// <summary>Predicts any image source; throws <see cref="ImageDecodeException"/> naming it when it cannot be decoded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per image: optimised from its first call; a short batch ran it unoptimised (tier 0) throughout
    public Prediction Predict(ImageSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var slot = Rent();
        try
        {
            // Decode into the slot's own buffer: a CNN input is 600 KB, and a new array per call lands on the
            // large object heap, which is only collected in full GCs, so a busy app's memory kept climbing.
            if (!ModelInputPixels.TryDecode(source, Metadata.Input, _resizeMode, slot.Pixels, out var facts, out var error))
            {
                throw new ImageDecodeException($"{source.Name}: {error}");
            }

            var prediction = Score(slot, slot.Pixels);
            return Metadata.TrainingImages?.Check(facts) is { } unlike ? prediction with { OutOfDistribution = unlike } : prediction;
        }
        finally
        {
            _slots.Add(slot);
        }
    }

    /// <summary>
    /// Predicts many images using every core; results are in input order. Throws on the first image that cannot be
    /// decoded (an <see cref="AggregateException"/> around <see cref="ImageDecodeException"/>s), losing the others:
    /// <see cref="PredictMany(IEnumerable{string}, IProgress{BatchProgress}, CancellationToken)"/> gives a result per image instead.
    /// </summary>
    [Obsolete("Use PredictMany: it returns a result (prediction or error) per image, streams in input order with bounded memory and reports progress.")]
    public IReadOnlyList<Prediction> PredictBatch(IReadOnlyList<string> imagePaths, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        var results = new Prediction[imagePaths.Count];
        Parallel.For(0, imagePaths.Count, new ParallelOptions { CancellationToken = cancellationToken }, i => results[i] = Predict(imagePaths[i]));
        return results;
    }

    /// <summary>Predicts an already decoded planar image of <see cref="ModelMetadata.Input"/>'s shape and scale.</summary>
    public Prediction PredictPixels(float[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (pixels.Length != Metadata.Input.Shape.Length)
        {
            throw new ArgumentException($"expected {Metadata.Input.Shape.Length} pixels ({Metadata.Input.Shape}), got {pixels.Length}", nameof(pixels));
        }

        var slot = Rent();
        try
        {
            return Score(slot, pixels);
        }
        finally
        {
            _slots.Add(slot);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        while (_slots.TryTake(out var slot))
        {
            slot.Engine?.Dispose();
        }

        _package.DisposeModel();
    }

    private Prediction ToPrediction(float[] scores)
    {
        if (scores.Length != Classes.Count)
        {
            throw new InvalidOperationException($"the model returned {scores.Length} scores for {Classes.Count} classes");
        }

        var ranked = Rank(Classes, scores);
        return new Prediction(ranked[0].Key, ranked[0].Value, ranked);
    }

    /// <summary>
    /// The classes by score, highest first; equal scores in class order, so they list the same way every time, and NaN
    /// last (as <see cref="float.CompareTo(float)"/> orders it). An insertion sort: a handful of classes, no allocation
    /// but the result, and no LINQ sorter for the JIT to compile at the start of every run.
    /// </summary>
    internal static KeyValuePair<string, float>[] Rank(IReadOnlyList<string> classes, ReadOnlySpan<float> scores)
    {
        var ranked = new KeyValuePair<string, float>[scores.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            var score = scores[i];
            var j = i;
            for (; j > 0 && ranked[j - 1].Value.CompareTo(score) < 0; j--)
            {
                ranked[j] = ranked[j - 1];
            }

            ranked[j] = new(classes[i], score);
        }

        return ranked;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Prediction Score(PredictionSlot slot, float[] pixels)
    {
        if (slot.Direct is { } scratch)
        {
            _direct!.Score(pixels, scratch, slot.Scores);
            return ToPrediction(slot.Scores);
        }

        return ToPrediction(EngineScores(slot, pixels));
    }

    private static float[] EngineScores(PredictionSlot slot, float[] pixels)
    {
        slot.Input.Pixels = pixels;
        slot.Engine!.Predict(slot.Input, ref slot.Output);
        return slot.Output.Score;
    }

    private PredictionSlot Rent()
    {
        if (_slots.TryTake(out var slot))
        {
            return slot;
        }

        var length = Metadata.Input.Shape.Length;
        return _direct is { } direct
            ? new PredictionSlot(null, direct.CreateScratch(), length, Classes.Count)
            : new PredictionSlot(_ml.Model.CreatePredictionEngine<PixelsRow, ScoreRow>(_package.Model, inputSchemaDefinition: _inputSchema), null, length, Classes.Count);
    }

    /// <summary>
    /// Switches to <see cref="DirectLinearScorer"/> when the model is one it scores and it gives the engine's scores bit
    /// for bit on its probe images; otherwise every prediction stays with ML.NET's engine. The package's scorer entry
    /// is tried first: when it reproduces the engine scores it recorded at save time, the ML.NET model is never read.
    /// </summary>
    private void ScoreDirectlyWhenItAgrees()
    {
        if (_package.DirectScorer is { } entry
            && DirectLinearScorer.FromEntry(entry.Span, Metadata.Input.Shape, Classes.Count) is var (stored, recorded)
            && stored.Agrees(recorded, Metadata.Input.Scale))
        {
            _direct = stored;
            return;
        }

        if (DirectLinearScorer.TryCreate(_package.Model) is not { } direct || direct.InputLength != Metadata.Input.Shape.Length || direct.ClassCount != Classes.Count)
        {
            return;
        }

        var slot = Rent();
        try
        {
            if (!direct.Agrees(pixels => (float[])EngineScores(slot, pixels).Clone(), Metadata.Input.Scale))
            {
                return;
            }
        }
        finally
        {
            _slots.Add(slot);
        }

        _direct = direct;
        while (_slots.TryTake(out var engineSlot))
        {
            engineSlot.Engine?.Dispose(); // engine slots are not used again: new ones score directly
        }
    }

    private void WarmUp()
    {
        // Runs the whole chain once (JIT; for an engine, building it and the ONNX session start), so the first real call is fast.
        PredictPixels(new float[Metadata.Input.Shape.Length]);
    }
}

/// <summary>
/// One caller's working set (not thread-safe): an ML.NET engine with the input and output rows it reuses, or the
/// direct scorer's scratch; and the pixel and score buffers.
/// </summary>
internal sealed class PredictionSlot(PredictionEngine<PixelsRow, ScoreRow>? engine, DirectLinearScorer.Scratch? direct, int inputLength, int classCount)
{
    public PredictionEngine<PixelsRow, ScoreRow>? Engine { get; } = engine;

    public DirectLinearScorer.Scratch? Direct { get; } = direct;

    public float[] Pixels { get; } = new float[inputLength];

    public float[] Scores { get; } = new float[classCount];

    public PixelsRow Input { get; } = new();

    /// <summary>A field, not a property: the engine fills it by reference, reusing the object.</summary>
    public ScoreRow Output = new();
}

/// <summary>The model's output row as the prediction engine reads it: class probabilities in class order.</summary>
public sealed class ScoreRow
{
    public float[] Score { get; set; } = [];
}
