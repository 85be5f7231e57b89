using System.Diagnostics;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Evaluation;
using ImageWorkbench.Pipeline.Training;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageWorkbench.Pipeline.Features;

/// <summary>
/// <c>train --features DIR</c>: fits the head on stored features without decoding an image. Rows go back to the
/// places a direct run gives them (training order kept), so the same seed gives the same head; the saved package is
/// the wing's featurizer in front of that head, as after a direct run, and predicts from images.
/// </summary>
public static class FeatureTraining
{
    /// <summary>Trains from <paramref name="store"/> with <paramref name="options"/>' pipeline (it must be the store's) and writes the package.</summary>
    public static TrainingResult TrainAndSave(FeatureStore store, TrainingOptions options, string outputPath, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        TrainAndSaveWithSplit(store, options, outputPath, warnings, progress, cancellationToken).Result;

    /// <summary>
    /// Like <see cref="TrainAndSave"/>, also returning the split the shards describe: its images by the names stored
    /// in the shards (files for a folder data set; never decoded here), what <c>compare --features</c> reports on.
    /// </summary>
    public static StoredFeatureTraining TrainAndSaveWithSplit(FeatureStore store, TrainingOptions options, string outputPath, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var ml = new MLContext(options.Seed);
        var trained = TrainWithSplit(ml, store, options, warnings, progress, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        ModelTrainer.SaveModel(ml, outputPath, trained.Result);
        return trained;
    }

    public static TrainingResult Train(MLContext ml, FeatureStore store, TrainingOptions options, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        TrainWithSplit(ml, store, options, warnings, progress, cancellationToken).Result;

    private static StoredFeatureTraining TrainWithSplit(MLContext ml, FeatureStore store, TrainingOptions options, DataWarnings warnings, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var header = store.Header;
        var featurizer = header.Featurizer;
        if (options.Pipeline.Name != featurizer.Pipeline || options.Pipeline is not IStoredFeaturesWing wing)
        {
            throw new WorkbenchException($"{store.Folder}: holds {featurizer.Pipeline} features, not {options.Pipeline.Name}");
        }

        ModelComponents.Register(ml);
        var stopwatch = Stopwatch.StartNew();
        var train = new Split(header.Data.TrainCount, featurizer.FeatureLength);
        var test = new Split(header.Data.TestCount, featurizer.FeatureLength);
        var total = store.Files.Count;
        for (var f = 0; f < store.Files.Count; f++)
        {
            progress?.Report(new TrainingProgress("reading feature shards", f, total, f / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9)));
            var file = store.Files[f];
            FeatureShardFile.ReadRows(file, header, rows => Split.Add(rows, file, train, test), cancellationToken);
        }

        progress?.Report(new TrainingProgress("reading feature shards", total, total, total / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9)));
        var readSeconds = stopwatch.Elapsed.TotalSeconds;
        var classes = header.Data.Classes;
        var featureType = new VectorDataViewType(NumberDataViewType.Single, featurizer.FeatureLength);
        var data = new ImageDataset(header.Data.Name, store.Folder, classes, train.Images(), test.Images(), header.Data.OwnSplit, nativeShape: null);
        var trainer = options.Trainer ?? options.Pipeline.DefaultTrainerFor(data);
        var run = new TrainingRun(ml, data, options, trainer, warnings, progress, cancellationToken);
        var pixels = ImageRows.Create(ml, [], featurizer.Input, classes.Count, warnings, cancellationToken);
        var extra = new Dictionary<string, string>(featurizer.Identity, StringComparer.Ordinal)
        {
            ["features"] = $"stored: {header.ShardCount} shard(s), {train.Count + test.Count} rows",
        };
        var result = ModelTrainer.FitHead(run, new FeaturizedTrainingSet
        {
            Features = train.Matrix().AsDataView(ml, featureType, classes.Count, cancellationToken),
            PixelsSchema = pixels.Schema,
            Input = featurizer.Input,
            FeatureSet = featurizer.FeatureSet,
            FeatureSetDescription = featurizer.Description,
            FeatureLength = featurizer.FeatureLength,
            FeaturizeSeconds = readSeconds,
            Extra = extra,
            CreateSavedFeaturizer = () => wing.CreateSavedFeaturizer(ml, featurizer, pixels),
            EvaluateHead = head =>
            {
                var matrix = test.Matrix();
                var (labels, scores, indices) = ModelScoring.Collect(head.Transform(matrix.AsDataView(ml, featureType, classes.Count, cancellationToken)), cancellationToken);
                return ClassificationMetrics.Compute(classes, labels, scores, indices.Select(i => test.Names[i]).ToList());
            },
        });
        return new StoredFeatureTraining(result, data);
    }

    /// <summary>One split's rows, each at the place a direct run lists its image (NaN where no shard holds a row).</summary>
    private sealed class Split
    {
        private readonly float[] _values;
        private readonly uint[] _labels;
        private readonly int _length;

        public Split(int count, int length)
        {
            _length = length;
            _values = new float[checked(count * length)];
            _values.AsSpan().Fill(float.NaN);
            _labels = new uint[count];
            Names = new string[count];
        }

        public string[] Names { get; }

        public int Count { get; private set; }

        /// <summary>Adds every row of <paramref name="rows"/> to its split (a row group may hold both).</summary>
        public static void Add(ShardRows rows, string file, Split train, Split test)
        {
            for (var r = 0; r < rows.Count; r++)
            {
                var target = rows.Splits[r] == ShardRows.Train ? train : test;
                var slot = rows.Indices[r];
                if (target.Names[slot] is not null)
                {
                    throw new WorkbenchException($"{file}: holds {rows.Paths[r]} ({rows.Splits[r]} image {slot}), which another shard holds too");
                }

                target.Names[slot] = rows.Paths[r];
                target._labels[slot] = (uint)rows.Labels[r];
                rows.Features.AsSpan(r * target._length, target._length).CopyTo(target._values.AsSpan(slot * target._length, target._length));
                target.Count++;
            }
        }

        /// <summary>The held rows in split order, compacted in place (the values exist once).</summary>
        public FeatureMatrix Matrix() => FeatureMatrix.KeepReadable(_values, _length, _labels.Length, i => _labels[i]);

        /// <summary>The split's images by name only (never decoded): what the package's metadata and the metrics count.</summary>
        public List<LabeledImage> Images() =>
            [.. Names.Select((name, i) => new LabeledImage(ImageSource.FromFile(name ?? "(unreadable, not stored)"), (int)_labels[i]))];
    }
}

/// <summary>A head fitted on stored features, and the split the shards describe (images by their stored names).</summary>
public sealed record StoredFeatureTraining(TrainingResult Result, ImageDataset Data);
