using System.Globalization;
using ImageWorkbench.FeatureExtractors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>Options of <see cref="CnnTransformsCatalog.ExtractCnnFeatures"/>: the network input the transform expects.</summary>
public sealed record CnnFeatureOptions
{
    /// <summary>224, RGB, centre crop: what <see cref="CnnPreprocessing.Default"/> measured best.</summary>
    public static CnnFeatureOptions Default { get; } = new();

    /// <summary>
    /// Side of the square input the input column holds (3 x InputSize x InputSize floats): a multiple of 32 from 32 to
    /// 1024; 224 is the size the network was trained at.
    /// </summary>
    public int InputSize { get; init; } = ResNet18Model.NativeInputSize;

    /// <summary>Channel order fed to the network; the input column is always RGB planar. <see cref="CnnChannelOrder.Rgb"/> is right.</summary>
    public CnnChannelOrder ChannelOrder { get; init; } = CnnChannelOrder.Rgb;

    /// <summary>The backbone's arithmetic: the packaged float network (default) or its int8 build (<see cref="ResNet18Int8"/>; RGB only).</summary>
    public CnnPrecision Precision { get; init; } = CnnPrecision.Float;

    /// <summary>
    /// How images were fitted to the square before they reached the input column. The transform does not resize (its
    /// input is the resized image); the mode belongs to the decoding step in front of it and travels here so that one
    /// options value describes the whole preprocessing (<see cref="Preprocessing"/>).
    /// </summary>
    public ResizeMode ResizeMode { get; init; } = ResizeMode.CenterCrop;

    /// <summary>The same settings as the workbench's <see cref="CnnPreprocessing"/>.</summary>
    public CnnPreprocessing Preprocessing => new(InputSize, ResizeMode, ChannelOrder, Precision);

    /// <summary>Options equal to <paramref name="preprocessing"/>.</summary>
    public static CnnFeatureOptions From(CnnPreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        return new() { InputSize = preprocessing.InputSize, ChannelOrder = preprocessing.ChannelOrder, ResizeMode = preprocessing.ResizeMode, Precision = preprocessing.Precision };
    }
}

/// <summary>ML.NET catalog extension for the ResNet18 CNN features.</summary>
public static class CnnTransformsCatalog
{
    /// <summary>
    /// Adds <paramref name="outputColumnName"/>: the 512 ResNet18 features (ImageNet weights, frozen; the global
    /// pooling layer) of the image in <paramref name="inputColumnName"/>, a known-size float vector of
    /// 3 x S x S planar RGB values 0..1 (S = <see cref="CnnFeatureOptions.InputSize"/>). The ImageNet preprocessing
    /// (scale to 0..255, RGB to BGR, minus the mean image) happens inside. Fitting needs no data.
    /// </summary>
    /// <remarks>
    /// <para>The network is the ONNX file of the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>, copied next to
    /// the application (<c>DnnImageModels/</c>) by any project that references the runtime. ONNX Runtime reads it from
    /// memory (no temporary copy); one session per input size and channel order is shared by every transformer and
    /// thread of the process and lives while a transformer uses it.</para>
    /// <para><c>mlContext.Model.Save</c> stores the transform as a custom mapping contract naming the network and
    /// channel order, not the 64 MB network; <c>mlContext.Model.Load</c> finds the contract through the assembly name
    /// ML.NET records with it, so no registration is needed before loading, and it refuses a missing, damaged or
    /// replaced network file with an error naming the file.</para>
    /// </remarks>
    /// <example>
    /// <code>
    /// var pipeline = ml.Transforms.ExtractCnnFeatures("Features", "Pixels", new CnnFeatureOptions { InputSize = 224 })
    ///     .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy());
    /// </code>
    /// </example>
    /// <param name="catalog">The transforms catalog, <c>mlContext.Transforms</c>.</param>
    /// <param name="outputColumnName">The features column to add: a vector of 512 floats.</param>
    /// <param name="inputColumnName">The pixels column: a vector of 3 x S x S floats, planar RGB, 0..1.</param>
    /// <param name="options">Input size and channel order; <see cref="CnnFeatureOptions.Default"/> when null.</param>
    public static CnnFeaturesEstimator ExtractCnnFeatures(this TransformsCatalog catalog, string outputColumnName, string inputColumnName, CnnFeatureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CnnFeaturesEstimator(catalog, outputColumnName, inputColumnName, options ?? CnnFeatureOptions.Default);
    }
}

/// <summary>
/// The estimator of <see cref="CnnTransformsCatalog.ExtractCnnFeatures"/>. It needs no data: <see cref="Fit"/> checks the
/// input column's type and returns the fitted chain (copy the input to the mapping's column, the CNN mapping, copy its
/// output to the output column, drop the working columns), which ML.NET saves and loads as built-in pieces plus the
/// contract of the mapping.
/// </summary>
public sealed class CnnFeaturesEstimator : IEstimator<ITransformer>
{
    private readonly IEstimator<ITransformer> _chain;

    internal CnnFeaturesEstimator(TransformsCatalog catalog, string outputColumnName, string inputColumnName, CnnFeatureOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputColumnName);
        ArgumentException.ThrowIfNullOrEmpty(inputColumnName);
        ArgumentNullException.ThrowIfNull(options);
        options.Preprocessing.Validate();
        if (inputColumnName is CnnPixelsRow.ColumnName or CnnFeaturesRow.ColumnName || outputColumnName is CnnPixelsRow.ColumnName or CnnFeaturesRow.ColumnName)
        {
            throw new ArgumentException($"column names {CnnPixelsRow.ColumnName} and {CnnFeaturesRow.ColumnName} are reserved for the CNN transform");
        }

        Options = options;
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
        _chain = catalog.CopyColumns(CnnPixelsRow.ColumnName, inputColumnName)
            .Append(catalog.CustomMapping(CnnFeatureMapping.Create(options.ChannelOrder, options.Precision), CnnFeatureMapping.Contract(options.ChannelOrder, options.Precision)))
            .Append(catalog.CopyColumns(outputColumnName, CnnFeaturesRow.ColumnName))
            .Append(catalog.DropColumns(CnnPixelsRow.ColumnName, CnnFeaturesRow.ColumnName));
    }

    public CnnFeatureOptions Options { get; }

    public string OutputColumnName { get; }

    public string InputColumnName { get; }

    /// <summary>Checks that the input column is a float vector of 3 x S x S values, then fits the chain (no data is read).</summary>
    public ITransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var column = input.Schema.GetColumnOrNull(InputColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(input), $"input column '{InputColumnName}' not found (the CNN transform reads a float vector of {InputDescription})");
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType { RawType: var raw }, Size: var size } || raw != typeof(float) || size != Options.Preprocessing.InputLength)
        {
            throw new ArgumentOutOfRangeException(nameof(input), $"input column '{InputColumnName}' is {column.Type}; the CNN transform reads a float vector of {InputDescription}");
        }

        return _chain.Fit(input);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => _chain.GetOutputSchema(inputSchema);

    private string InputDescription =>
        string.Create(CultureInfo.InvariantCulture, $"3 x {Options.InputSize} x {Options.InputSize} = {Options.Preprocessing.InputLength} values (planar RGB, 0..1)");
}

/// <summary>
/// The CNN as an ML.NET custom mapping, and why it is persisted the way it is.
/// </summary>
/// <remarks>
/// <para>ML.NET saves a custom mapping as its contract name and the name of the assembly that declares it (ML.NET 5
/// records the assembly and loads and registers it when the model is loaded, so a fresh process needs no
/// registration line), never parameters. So each (network, channel order) pair has its own contract, e.g.
/// <c>ImageWorkbench.CnnFeatures/resnet18-onnx-0.23.1/rgb</c>, and the input size needs none: it follows from the
/// input vector's length (3 x S x S has one S), which the saved schema fixes.</para>
/// <para>The network is not in the model file: the factory rebuilds it from the packaged ONNX file next to the runtime
/// (what every app referencing the runtime gets from the NuGet package), checked against the SHA-256 this runtime
/// expects (<see cref="ResNet18Model.NetworkSha256"/>). A model then costs kilobytes instead of 64 MB, nothing is
/// written to the temp folder, and a different network cannot pass for the saved one: the contract names the network
/// version, and the file's hash is checked when the model loads and again when the session is built.</para>
/// <para>The alternative, an own <c>ITransformer</c> with its own binary format, needs ML.NET's internal
/// <c>ModelSaveContext</c> and <c>LoadableClass</c> machinery (not public); a network embedded in the model file would
/// bring back the 64 MB copy in every model and a second copy in memory while loading.</para>
/// </remarks>
internal static class CnnFeatureMapping
{
    public const string ContractPrefix = "ImageWorkbench.CnnFeatures/" + ResNet18Model.NetworkId + "/";

    public static string Contract(CnnChannelOrder order, CnnPrecision precision = CnnPrecision.Float) => (order, precision) switch
    {
        (CnnChannelOrder.Rgb, CnnPrecision.Float) => CnnFeaturesRgbMapping.Contract,
        (CnnChannelOrder.Bgr, CnnPrecision.Float) => CnnFeaturesBgrMapping.Contract,
        (CnnChannelOrder.Rgb, CnnPrecision.Int8) => CnnFeaturesRgbInt8Mapping.Contract,
        _ => throw new ArgumentOutOfRangeException(nameof(order), (order, precision), "no CNN transform for this channel order and precision (int8 is RGB only)"),
    };

    /// <summary>
    /// The mapping of one channel order. Called when the estimator is made and when a saved model is loaded: the
    /// network files are checked here, so a damaged one fails the load, not the first prediction. The ONNX Runtime
    /// session is taken on the first row (the size comes from the row's length) and then reused for every row.
    /// </summary>
    public static Action<CnnPixelsRow, CnnFeaturesRow> Create(CnnChannelOrder order, CnnPrecision precision = CnnPrecision.Float)
    {
        ResNet18Model.VerifyPackagedFiles();
        var engine = new EngineReference(order, precision);
        return (input, output) =>
        {
            var features = output.Features;
            if (features.Length != ResNet18Model.FeatureLength)
            {
                // once per output row object: ML.NET reuses the object for every row of a cursor or prediction engine
                features = new float[ResNet18Model.FeatureLength];
                output.Features = features;
            }

            engine.For(input.Pixels.Length).Featurize(input.Pixels, 1, features);
        };
    }

    /// <summary>One mapping's engine: resolved from the process-wide cache on the first row, then held.</summary>
    private sealed class EngineReference(CnnChannelOrder order, CnnPrecision precision)
    {
        private readonly Lock _lock = new();
        private volatile ResNet18Featurizer? _engine;

        public ResNet18Featurizer For(int inputLength)
        {
            var engine = _engine;
            if (engine is not null && engine.InputLength == inputLength)
            {
                return engine;
            }

            lock (_lock)
            {
                engine = SharedEngines.Get(SizeOf(inputLength), order, precision);
                _engine = engine;
                return engine;
            }
        }

        private static int SizeOf(int inputLength)
        {
            int size = (int)Math.Round(Math.Sqrt(inputLength / 3.0));
            if (3 * size * size != inputLength || size < ResNet18Model.MinInputSize || size > ResNet18Model.MaxInputSize || size % 32 != 0)
            {
                throw new InvalidOperationException($"the CNN transform reads 3 x S x S planar RGB values (S a multiple of 32 from {ResNet18Model.MinInputSize} to {ResNet18Model.MaxInputSize}); got a vector of {inputLength}");
            }

            return size;
        }
    }

    /// <summary>
    /// One engine (one ONNX Runtime session, the weights once) per input size and channel order for the whole process:
    /// every loaded model, prediction engine and thread shares it; concurrent rows queue for its one slot, whose
    /// intra-op threads already use every core (more sessions would hold the weights again and fight for the
    /// same 2 cores). The cache holds engines weakly: when no transformer uses one any more, the GC frees it (ONNX
    /// Runtime's session, values and binding have finalizers that release the native memory).
    /// </summary>
    private static class SharedEngines
    {
        private static readonly Lock Gate = new();
        private static readonly Dictionary<(int Size, CnnChannelOrder Order, CnnPrecision Precision), WeakReference<ResNet18Featurizer>> Engines = [];

        public static ResNet18Featurizer Get(int size, CnnChannelOrder order, CnnPrecision precision)
        {
            lock (Gate)
            {
                if (Engines.TryGetValue((size, order, precision), out var weak) && weak.TryGetTarget(out var alive))
                {
                    return alive;
                }

                // built under the lock: two threads asking at once must not build the 64 MB network twice
                var engine = new ResNet18Featurizer(new ResNet18FeaturizerOptions
                {
                    Preprocessing = new CnnPreprocessing(size, ResizeMode.CenterCrop, order, precision),
                    Sessions = 1,
                });
                Engines[(size, order, precision)] = new WeakReference<ResNet18Featurizer>(engine);
                return engine;
            }
        }
    }
}

/// <summary>The CNN mapping's input row: one planar RGB image, values 0..1 (the length fixes the input size).</summary>
public sealed class CnnPixelsRow
{
    /// <summary>The working column the mapping reads; the estimator copies the user's input column to it.</summary>
    public const string ColumnName = "ImageWorkbench.Cnn.Pixels";

    [ColumnName(ColumnName)]
    public float[] Pixels { get; set; } = [];
}

/// <summary>The CNN mapping's output row: 512 features.</summary>
public sealed class CnnFeaturesRow
{
    /// <summary>The working column the mapping writes; the estimator copies it to the user's output column.</summary>
    public const string ColumnName = "ImageWorkbench.Cnn.Features";

    [ColumnName(ColumnName)]
    [VectorType(ResNet18Model.FeatureLength)]
    public float[] Features { get; set; } = [];
}

/// <summary>Factory ML.NET finds by contract when it loads a model holding the CNN transform with RGB input (the right order).</summary>
[CustomMappingFactoryAttribute(Contract)]
public sealed class CnnFeaturesRgbMapping : CustomMappingFactory<CnnPixelsRow, CnnFeaturesRow>
{
    public const string Contract = CnnFeatureMapping.ContractPrefix + "rgb";

    public override Action<CnnPixelsRow, CnnFeaturesRow> GetMapping() => CnnFeatureMapping.Create(CnnChannelOrder.Rgb);
}

/// <summary>Factory for the BGR variant (planes reversed before the network; kept for A/B checks).</summary>
[CustomMappingFactoryAttribute(Contract)]
public sealed class CnnFeaturesBgrMapping : CustomMappingFactory<CnnPixelsRow, CnnFeaturesRow>
{
    public const string Contract = CnnFeatureMapping.ContractPrefix + "bgr";

    public override Action<CnnPixelsRow, CnnFeaturesRow> GetMapping() => CnnFeatureMapping.Create(CnnChannelOrder.Bgr);
}

/// <summary>Factory for the int8 backbone with RGB input (<see cref="ResNet18Int8"/>, <c>--backbone-precision int8</c>).</summary>
[CustomMappingFactoryAttribute(Contract)]
public sealed class CnnFeaturesRgbInt8Mapping : CustomMappingFactory<CnnPixelsRow, CnnFeaturesRow>
{
    public const string Contract = CnnFeatureMapping.ContractPrefix + "rgb/int8-" + ResNet18Int8.Version;

    public override Action<CnnPixelsRow, CnnFeaturesRow> GetMapping() => CnnFeatureMapping.Create(CnnChannelOrder.Rgb, CnnPrecision.Int8);
}
