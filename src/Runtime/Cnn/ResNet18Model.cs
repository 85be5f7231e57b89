using System.Security.Cryptography;
using static ImageWorkbench.Runtime.Cnn.OnnxNodes;

namespace ImageWorkbench.Runtime.Cnn;

/// <summary>
/// Facts about the ResNet18 ONNX files shipped by <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.23.1
/// (a CNTK export, ONNX IR 3, opset 8), where to find them, and graph rewrites the featurizer needs.
/// </summary>
/// <remarks>
/// <para>The package copies two files next to every assembly that references <c>Pipeline</c>:
/// <c>DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx</c> (input <c>OriginalInput</c> [1,3,224,224] raw
/// 0..255 RGB planar; it swaps to BGR and subtracts a constant 3x224x224 mean image) and
/// <c>DnnImageModels/ResNet18Onnx/ResNet18.onnx</c> (input <c>Input247</c> [1,3,224,224] preprocessed BGR,
/// output <c>Pooling395_Output_0</c> [1,512,1,1] after a fixed 7x7 average pool).</para>
/// <para>Rewrites (see <see cref="BuildNetwork"/>): batch dimension made symbolic (<c>N</c>); for input sizes
/// other than 224 the final 7x7 <c>AveragePool</c> becomes a <c>GlobalAveragePool</c>; optionally the
/// preprocessing (0..1 RGB to 0..255, RGB to BGR, minus the mean image) is prepended to the graph so one
/// model does everything (used by the ML.NET scoring transformer).</para>
/// </remarks>
public static class ResNet18Model
{
    /// <summary>Version of the NuGet package the ONNX files come from.</summary>
    public const string PackageVersion = "0.23.1";

    /// <summary>Stable network identifier for cache keys and model metadata.</summary>
    public const string NetworkId = "resnet18-onnx-" + PackageVersion;

    /// <summary>Length of the feature vector (channels of the global pooling layer).</summary>
    public const int FeatureLength = 512;

    /// <summary>The input size the network was trained at and the shipped graph is fixed to.</summary>
    public const int NativeInputSize = 224;

    /// <summary>Smallest input size the rewritten graph accepts (5 stride-2 stages; 32 gives a 1x1 final map).</summary>
    public const int MinInputSize = 32;

    /// <summary>Largest input size accepted: 3 x 1024 x 1024 floats is 12 MB per image buffer.</summary>
    public const int MaxInputSize = 1024;

    /// <summary>
    /// SHA-256 of <c>ResNet18.onnx</c> as package <see cref="PackageVersion"/> ships it. Every read of the file is
    /// checked against it (<see cref="ReadVerified"/>), so a damaged or replaced network is refused with a message
    /// naming the file instead of giving other features (or crashing ONNX Runtime) under the same model.
    /// </summary>
    public const string NetworkSha256 = "e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f";

    /// <summary>SHA-256 of <c>ResNetPreprocess.onnx</c> (the mean image) as package <see cref="PackageVersion"/> ships it.</summary>
    public const string PreprocessSha256 = "84bf8def78d0befaa3f6e73745d57d7016c6a192ead76f79686bd438c1047004";

    /// <summary>
    /// Files whose hash matched, with their length and write time then: a file still like that is not hashed again.
    /// Damage or replacement changes both in practice; like the package checksums this guards against damage, not a forger.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Length, DateTime Written)> VerifiedFiles = new(StringComparer.Ordinal);

    /// <summary>Input tensor of <c>ResNet18.onnx</c> (preprocessed BGR, mean subtracted).</summary>
    public const string NetworkInputName = "Input247";

    /// <summary>Output tensor of <c>ResNet18.onnx</c>: the global pooling layer, [N,512,1,1].</summary>
    public const string NetworkOutputName = "Pooling395_Output_0";

    /// <summary>Input tensor of <c>ResNetPreprocess.onnx</c>: raw 0..255 RGB planar.</summary>
    public const string PreprocessInputName = "OriginalInput";

    /// <summary>Output tensor of <c>ResNetPreprocess.onnx</c>.</summary>
    public const string PreprocessOutputName = "PreprocessedInput";

    /// <summary>Input tensor of a graph built with preprocessing: 0..1 RGB planar [N,3,S,S].</summary>
    public const string FusedInputName = "rgb01";

    /// <summary>The folder the package copies the models to: <c>AppContext.BaseDirectory/DnnImageModels</c>.</summary>
    public static string ModelDirectory => Path.Combine(AppContext.BaseDirectory, "DnnImageModels");

    /// <summary>Path of <c>ResNet18.onnx</c> (may not exist; see <see cref="LocateNetwork"/>).</summary>
    public static string NetworkPath => Path.Combine(ModelDirectory, "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>Path of <c>ResNetPreprocess.onnx</c> (may not exist; see <see cref="LocatePreprocess"/>).</summary>
    public static string PreprocessPath => Path.Combine(ModelDirectory, "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>Returns <see cref="NetworkPath"/>, or throws a <see cref="WorkbenchException"/> naming the missing file.</summary>
    public static string LocateNetwork() => Locate(NetworkPath);

    /// <summary>Returns <see cref="PreprocessPath"/>, or throws a <see cref="WorkbenchException"/> naming the missing file.</summary>
    public static string LocatePreprocess() => Locate(PreprocessPath);

    /// <summary>Throws unless <paramref name="size"/> is an input size the (rewritten) network accepts: a multiple of 32, 32..1024.</summary>
    public static void ValidateInputSize(int size)
    {
        if (size < MinInputSize || size > MaxInputSize || size % 32 != 0)
        {
            // The CNTK export pads asymmetrically; with a size that is not a multiple of 32 a stride-2 stage
            // produces an odd map and a residual Add fails ("Incompatible dimensions", e.g. at 112).
            throw new WorkbenchException($"CNN input size must be a multiple of 32 between {MinInputSize} and {MaxInputSize} pixels (e.g. 96, 128, 224), got {size}");
        }
    }

    /// <summary>
    /// The mean image the preprocessing subtracts, in the network's (BGR) channel order, planar [3,size,size],
    /// values on the 0..255 scale. At 224 it is the constant of <c>ResNetPreprocess.onnx</c> exactly; at
    /// other sizes it is that image resized bilinearly.
    /// </summary>
    public static float[] LoadMeanImage(int size)
    {
        ValidateInputSize(size);
        var path = LocatePreprocess();
        float[] mean224;
        try
        {
            var model = Proto.Parse(ReadVerified(path, PreprocessSha256));
            var graph = Proto.Parse(Single(model, 7, path, "graph").Bytes);
            var tensor = graph.Where(f => f.Number == 5).Select(f => Proto.Parse(f.Bytes))
                .FirstOrDefault(t => t.Any(x => x.Number == 8 && x.AsString() == "MeanImage"))
                ?? throw new WorkbenchException($"{path}: no MeanImage initializer");
            mean224 = OnnxGraphReader.FloatTensor(tensor);
        }
        catch (InvalidDataException ex)
        {
            throw new WorkbenchException($"{path}: not a readable ONNX model ({ex.Message})", ex);
        }

        if (mean224.Length != 3 * NativeInputSize * NativeInputSize)
        {
            throw new WorkbenchException($"{path}: MeanImage has {mean224.Length} values, expected 3x224x224");
        }

        return size == NativeInputSize ? mean224 : ResizePlanes(mean224, NativeInputSize, size);
    }

    /// <summary>
    /// Builds the ResNet18 graph for input size <paramref name="size"/>: batch dimension symbolic (<c>N</c>),
    /// shapes of intermediate tensors dropped (ORT infers them), the final average pool made global when
    /// <paramref name="size"/> is not 224 or <paramref name="forceGlobalPool"/> is set. With
    /// <paramref name="withPreprocessing"/> the graph takes <see cref="FusedInputName"/>: 0..1 RGB planar,
    /// and does the scaling to 0..255, the RGB to BGR swap and the mean subtraction itself
    /// (<paramref name="channelOrder"/> <see cref="CnnChannelOrder.Bgr"/> skips the swap, for A/B checks).
    /// </summary>
    public static byte[] BuildNetwork(int size, bool withPreprocessing, bool symbolicBatch = true, bool forceGlobalPool = false, CnnChannelOrder channelOrder = CnnChannelOrder.Rgb)
    {
        ValidateInputSize(size);
        var path = LocateNetwork();
        try
        {
            return RewriteNetwork(ReadVerified(path, NetworkSha256), size, withPreprocessing ? LoadMeanImage(size) : null, symbolicBatch, forceGlobalPool || size != NativeInputSize, channelOrder);
        }
        catch (InvalidDataException ex)
        {
            throw new WorkbenchException($"{path}: not a readable ONNX model ({ex.Message})", ex);
        }
    }

    /// <param name="original">The shipped network's bytes.</param>
    /// <param name="size">Input size.</param>
    /// <param name="meanBgr">The mean image to prepend the preprocessing with, or null for none.</param>
    /// <param name="symbolicBatch">Batch dimension "N" instead of 1.</param>
    /// <param name="globalPool">Make the final pool global.</param>
    /// <param name="channelOrder">RGB (right) or BGR (A/B checks).</param>
    /// <param name="fusedInput">With preprocessing: the input's name (default <see cref="FusedInputName"/>) and channels (1: a grey plane, fed to all three).</param>
    internal static byte[] RewriteNetwork(byte[] original, int size, float[]? meanBgr, bool symbolicBatch, bool globalPool, CnnChannelOrder channelOrder = CnnChannelOrder.Rgb, (string Name, int Channels)? fusedInput = null)
    {
        var model = Proto.Parse(original);
        var graphField = Single(model, 7, NetworkPath, "graph");
        var graph = Proto.Parse(graphField.Bytes);
        var newGraph = new List<ProtoField>(graph.Count + 8);
        var (fusedName, inputChannels) = fusedInput ?? (FusedInputName, 3);
        string inputName = meanBgr is null ? NetworkInputName : fusedName;
        foreach (var f in graph)
        {
            switch (f.Number)
            {
                case 1 when globalPool && NodeOpType(f) == "AveragePool":
                    newGraph.Add(ProtoField.OfMessage(1, Proto.Parse(f.Bytes)
                        .Where(x => x.Number != 5)
                        .Select(x => x.Number == 4 ? ProtoField.OfString(4, "GlobalAveragePool") : x)));
                    break;
                case 11:
                    newGraph.Add(ValueInfo(11, inputName, symbolicBatch, meanBgr is null ? 3 : inputChannels, size, size));
                    break;
                case 12:
                    newGraph.Add(ValueInfo(12, NetworkOutputName, symbolicBatch, FeatureLength, 1, 1));
                    break;
                case 13:
                    // intermediate shapes are fixed to batch 1 and 224; ORT infers them again
                    break;
                default:
                    newGraph.Add(f);
                    break;
            }
        }

        if (meanBgr is not null)
        {
            // rgb01 -Gather[2,1,0]-> bgr01 -Mul 255-> bgr255 -Sub mean-> Input247
            int firstNode = newGraph.FindIndex(f => f.Number == 1);
            newGraph.InsertRange(firstNode,
            [
                Node("cnn_prep_swap", "Gather", [fusedName, "cnn_prep_bgr_index"], "cnn_prep_bgr01", IntAttribute("axis", 1)),
                Node("cnn_prep_scale", "Mul", ["cnn_prep_bgr01", "cnn_prep_255"], "cnn_prep_bgr255"),
                Node("cnn_prep_mean", "Sub", ["cnn_prep_bgr255", "cnn_prep_mean_image"], NetworkInputName),
            ]);
            newGraph.Add(Int64Tensor("cnn_prep_bgr_index", [3], inputChannels == 1 ? [0, 0, 0] : channelOrder == CnnChannelOrder.Rgb ? [2, 1, 0] : [0, 1, 2]));
            newGraph.Add(FloatTensor("cnn_prep_255", [], [255f]));
            newGraph.Add(FloatTensor("cnn_prep_mean_image", [1, 3, size, size], meanBgr));
        }

        var newModel = model.Select(f => f.Number == 7 ? ProtoField.OfMessage(7, newGraph) : f).ToList();
        newModel.Add(ProtoField.OfString(6, $"{NetworkId} rewritten by Pipeline.Cnn: size {size}, preprocessing {meanBgr is not null}, symbolic batch {symbolicBatch}, global pool {globalPool}"));
        return Proto.Serialize(newModel);
    }

    /// <summary>
    /// The kernels of the packaged network's first convolution (conv1: 64 x 3 x 7 x 7, ImageNet-trained), read from its
    /// initializer in the hash-checked file. The layer sees B, G, R (see the remarks above).
    /// </summary>
    public static ConvKernels FirstLayerKernels()
    {
        var path = LocateNetwork();
        try
        {
            return OnnxGraphReader.Parse(ReadVerified(path, NetworkSha256)).FirstConvolution(channelsBgr: true)
                ?? throw new WorkbenchException($"{path}: no convolution with constant weights found");
        }
        catch (InvalidDataException ex)
        {
            throw new WorkbenchException($"{path}: not a readable ONNX model ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// <see cref="NetworkPath"/> after checking that the file there is the shipped network (read in 1 MiB steps), for
    /// ONNX Runtime to read itself; throws a <see cref="WorkbenchException"/> naming a missing, damaged or replaced file.
    /// </summary>
    public static string LocateVerifiedNetwork()
    {
        VerifyFile(NetworkPath, NetworkSha256);
        return NetworkPath;
    }

    /// <summary>
    /// Checks that both packaged files in <paramref name="modelDirectory"/> (default <see cref="ModelDirectory"/>) are
    /// the ones this runtime was built for, reading them in 1 MiB steps (no 64 MB buffer). Throws a
    /// <see cref="WorkbenchException"/> naming the missing, unreadable, damaged or replaced file.
    /// </summary>
    public static void VerifyPackagedFiles(string? modelDirectory = null)
    {
        string directory = modelDirectory ?? ModelDirectory;
        VerifyFile(Path.Combine(directory, "ResNet18Onnx", "ResNet18.onnx"), NetworkSha256);
        VerifyFile(Path.Combine(directory, "ResNetPrepOnnx", "ResNetPreprocess.onnx"), PreprocessSha256);
    }

    private static void VerifyFile(string path, string expectedSha256)
    {
        byte[] actual;
        (long Length, DateTime Written) stamp;
        try
        {
            using var stream = new FileStream(Locate(path), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
            stamp = (stream.Length, File.GetLastWriteTimeUtc(path));
            if (VerifiedFiles.TryGetValue(path, out var verified) && verified == stamp)
            {
                return; // hashed already in this process and unchanged since (45 MB is ~100 ms a hash: model load and session build both ask)
            }

            actual = SHA256.HashData(stream);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new WorkbenchException($"{path}: cannot read the ResNet18 network file ({ex.Message})", ex);
        }

        CheckHash(path, actual, expectedSha256);
        VerifiedFiles[path] = stamp;
    }

    /// <summary>The whole file, refused (naming it) unless its SHA-256 is <paramref name="expectedSha256"/>.</summary>
    internal static byte[] ReadVerified(string path, string expectedSha256)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new WorkbenchException($"{path}: cannot read the ResNet18 network file ({ex.Message})", ex);
        }

        CheckHash(path, SHA256.HashData(bytes), expectedSha256);
        return bytes;
    }

    private static void CheckHash(string path, byte[] actual, string expected)
    {
        if (!Convert.ToHexStringLower(actual).Equals(expected, StringComparison.Ordinal))
        {
            throw new WorkbenchException(
                $"{path}: not the network file of Microsoft.ML.DnnImageFeaturizer.ResNet18 {PackageVersion} (SHA-256 {Convert.ToHexStringLower(actual)[..16]}..., expected {expected[..16]}...): " +
                "the file is damaged or was replaced; restore it from the NuGet package (rebuild, or copy the DnnImageModels folder next to the executable again)");
        }
    }

    internal static string Locate(string path)
    {
        if (!File.Exists(path))
        {
            throw new WorkbenchException(
                $"ResNet18 model file not found: {path}. It is copied there by the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 {PackageVersion}; " +
                "rebuild the project that references ImageWorkbench.Runtime, or copy the DnnImageModels folder next to the executable.");
        }

        return path;
    }

    private static ProtoField Single(List<ProtoField> fields, int number, string path, string what) =>
        fields.FirstOrDefault(f => f.Number == number && f.WireType == ProtoField.LengthDelimited) is { Bytes.IsEmpty: false } f
            ? f
            : throw new InvalidDataException($"{path}: no {what}");

    private static string NodeOpType(ProtoField node) => OnnxGraphReader.ParseNode(node.Bytes).OpType;

    /// <summary>Bilinear resize (align corners false, clamped edges) of 3 square planes.</summary>
    private static float[] ResizePlanes(float[] src, int from, int to)
    {
        var dst = new float[3 * to * to];
        double scale = (double)from / to;
        for (int c = 0; c < 3; c++)
        {
            var plane = src.AsSpan(c * from * from, from * from);
            for (int y = 0; y < to; y++)
            {
                double sy = Math.Clamp(((y + 0.5) * scale) - 0.5, 0, from - 1);
                int y0 = (int)sy;
                int y1 = Math.Min(y0 + 1, from - 1);
                double fy = sy - y0;
                for (int x = 0; x < to; x++)
                {
                    double sx = Math.Clamp(((x + 0.5) * scale) - 0.5, 0, from - 1);
                    int x0 = (int)sx;
                    int x1 = Math.Min(x0 + 1, from - 1);
                    double fx = sx - x0;
                    double top = (plane[(y0 * from) + x0] * (1 - fx)) + (plane[(y0 * from) + x1] * fx);
                    double bottom = (plane[(y1 * from) + x0] * (1 - fx)) + (plane[(y1 * from) + x1] * fx);
                    dst[(c * to * to) + (y * to) + x] = (float)((top * (1 - fy)) + (bottom * fy));
                }
            }
        }

        return dst;
    }
}
