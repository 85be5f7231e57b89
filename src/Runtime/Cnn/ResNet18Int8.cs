namespace ImageWorkbench.Runtime.Cnn;

/// <summary>
/// The int8 ResNet18 backbone (<c>--backbone-precision int8</c>): <see cref="ResNet18Quantizer.Quantize"/> of the packaged
/// float network with the activation ranges below, so the int8 network is a fixed function of the packaged file and
/// this table (the same bytes on every machine; nothing to download, nothing stored next to a model).
/// </summary>
/// <remarks>
/// The ranges were calibrated (<see cref="RangeCollector"/>, mean of each image's minimum and maximum) on 80 training
/// images of the two embedded sets: the first 5 per class of <c>datasets/fashion-mnist-mini</c> (10 classes) and
/// <c>datasets/caltech101-mini</c> (6 classes), 224, centre crop, RGB; test images were not used. A test recomputes them
/// (<c>Int8BackboneTests</c>). Mean-of-extremes kept the features closer to float than the global extremes did (mean
/// cosine to the float features on 10 + 6 train images 0.997 / 0.986 against 0.980 / 0.996).
/// </remarks>
public static class ResNet18Int8
{
    /// <summary>Identifies the quantisation recipe and range table in feature-set ids and model metadata.</summary>
    public const string Version = "qdq-u8s8-v1";

    /// <summary>Training images per class of each embedded set the ranges were calibrated on.</summary>
    public const int CalibrationImagesPerClass = 5;

    /// <summary>Tensor name of the float network to its calibrated (min, max).</summary>
    public static IReadOnlyDictionary<string, (float Min, float Max)> Ranges { get; } = new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal)
    {
        ["Input247"] = (-124.78797f, 149.73328f),
        ["BatchNormalization251_Output_0"] = (-11.858159f, 12.074867f),
        ["ReLU253_Output_0"] = (0f, 12.074867f),
        ["BatchNormalization259_Output_0"] = (-16.640621f, 7.9499774f),
        ["ReLU261_Output_0"] = (0f, 7.9499774f),
        ["BatchNormalization265_Output_0"] = (-18.820938f, 12.9401f),
        ["Plus267_Output_0"] = (-18.655443f, 14.65184f),
        ["ReLU269_Output_0"] = (0f, 14.65184f),
        ["BatchNormalization273_Output_0"] = (-15.528836f, 8.706249f),
        ["ReLU275_Output_0"] = (0f, 8.706249f),
        ["BatchNormalization279_Output_0"] = (-23.086622f, 15.060427f),
        ["Plus281_Output_0"] = (-22.924122f, 22.15047f),
        ["ReLU283_Output_0"] = (0f, 22.15047f),
        ["BatchNormalization297_Output_0"] = (-11.313088f, 9.558334f),
        ["BatchNormalization287_Output_0"] = (-11.051351f, 8.6512375f),
        ["ReLU289_Output_0"] = (0f, 8.6512375f),
        ["BatchNormalization293_Output_0"] = (-12.55586f, 12.435894f),
        ["Plus299_Output_0"] = (-16.65185f, 13.795333f),
        ["ReLU301_Output_0"] = (0f, 13.795333f),
        ["BatchNormalization305_Output_0"] = (-11.887942f, 8.944295f),
        ["ReLU307_Output_0"] = (0f, 8.944295f),
        ["BatchNormalization311_Output_0"] = (-15.644385f, 11.701856f),
        ["Plus313_Output_0"] = (-15.292438f, 16.953873f),
        ["ReLU315_Output_0"] = (0f, 16.953873f),
        ["BatchNormalization329_Output_0"] = (-5.401776f, 4.4154415f),
        ["BatchNormalization319_Output_0"] = (-9.431358f, 8.869694f),
        ["ReLU321_Output_0"] = (0f, 8.869694f),
        ["BatchNormalization325_Output_0"] = (-10.524822f, 12.884367f),
        ["Plus331_Output_0"] = (-12.760858f, 13.917058f),
        ["ReLU333_Output_0"] = (0f, 13.917058f),
        ["BatchNormalization337_Output_0"] = (-8.461935f, 5.844073f),
        ["ReLU339_Output_0"] = (0f, 5.844073f),
        ["BatchNormalization343_Output_0"] = (-12.086075f, 7.8367615f),
        ["Plus345_Output_0"] = (-11.772214f, 12.059364f),
        ["ReLU347_Output_0"] = (0f, 12.059364f),
        ["BatchNormalization361_Output_0"] = (-11.60458f, 18.334412f),
        ["BatchNormalization351_Output_0"] = (-6.8341155f, 5.73888f),
        ["ReLU353_Output_0"] = (0f, 5.73888f),
        ["BatchNormalization357_Output_0"] = (-16.457058f, 19.301577f),
        ["Plus363_Output_0"] = (-19.563356f, 26.213924f),
        ["ReLU365_Output_0"] = (0f, 26.213924f),
        ["BatchNormalization369_Output_0"] = (-7.0834103f, 4.4387197f),
        ["ReLU371_Output_0"] = (0f, 4.4387197f),
        ["BatchNormalization375_Output_0"] = (-12.705337f, 11.334865f),
        ["Plus377_Output_0"] = (-12.364967f, 29.14857f),
        ["ReLU379_Output_0"] = (0f, 29.14857f),
        ["BatchNormalization383_Output_0"] = (-7.1227016f, 4.4368067f),
        ["ReLU385_Output_0"] = (0f, 4.4368067f),
        ["BatchNormalization389_Output_0"] = (-19.327312f, 26.987585f),
        ["Plus391_Output_0"] = (-19.005293f, 46.21502f),
        ["ReLU393_Output_0"] = (0f, 46.21502f),
    };

    /// <summary>The int8 QDQ network for input size <paramref name="size"/> (see <see cref="ResNet18Model.BuildNetwork"/> for the rewrite).</summary>
    public static byte[] BuildNetwork(int size, bool symbolicBatch) =>
        ResNet18Quantizer.Quantize(ResNet18Model.BuildNetwork(size, withPreprocessing: false, symbolicBatch), Ranges);
}
