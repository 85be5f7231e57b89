using BenchmarkDotNet.Attributes;

namespace ImageWorkbench.FeatureExtractors.Benchmarks;

/// <summary>Micro-benchmarks of the hot paths (single image per call).</summary>
[MemoryDiagnoser]
public class ExtractorBenchmarks
{
    private readonly float[] _grey28 = Images.Random(1, 28 * 28);
    private readonly float[] _rgb64 = Images.Random(2, 64 * 64 * 3);
    private readonly float[] _rgb224 = Images.Random(3, 224 * 224 * 3);
    private readonly float[] _gx = new float[28 * 28];
    private readonly float[] _gy = new float[28 * 28];
    private readonly float[] _corrOut = new float[26 * 26];
    private readonly IFeatureExtractor _hog28 = new HogOptions { CellSize = 4, BlockSize = 2, Bins = 9 }.CreateHog(new ImageShape(28, 28, 1));
    private readonly IFeatureExtractor _hog224 = new HogOptions { CellSize = 8, BlockSize = 2, Bins = 9 }.CreateHog(new ImageShape(224, 224, 3));
    private readonly IFeatureExtractor _grey28v1 = FeatureSetPresets.Grey28V1.CreateExtractor();
    private readonly IFeatureExtractor _rgb64v1 = FeatureSetPresets.Rgb64V1.CreateExtractor();
    private readonly IFeatureExtractor _grey28v2 = FeatureSetPresets.Grey28V2.CreateExtractor();
    private readonly IFeatureExtractor _lbp28 = new LocalBinaryPatternOptions { GridX = 7, GridY = 7 }.CreateExtractor(new ImageShape(28, 28, 1));
    private readonly IFeatureExtractor _lbp64 = new LocalBinaryPatternOptions { GridX = 8, GridY = 8 }.CreateExtractor(new ImageShape(64, 64, 3));
    private readonly IFeatureExtractor _rgb64v3 = FeatureSetPresets.Rgb64V3.CreateExtractor();
    private readonly IFeatureExtractor _moments64 = new ColourMomentsOptions { Levels = [1, 2, 4], Space = ColourSpace.Lab }.CreateExtractor(new ImageShape(64, 64, 3));
    private readonly IFeatureExtractor _hsv64 = new HsvHistogramOptions().CreateExtractor(new ImageShape(64, 64, 3));
    private readonly float[] _converted64 = new float[64 * 64 * 3];
    private readonly float[] _hog28Out, _hog224Out, _grey28v1Out, _rgb64v1Out, _grey28v2Out, _lbp28Out, _lbp64Out, _rgb64v3Out, _moments64Out, _hsv64Out;

    public ExtractorBenchmarks()
    {
        _hog28Out = new float[_hog28.OutputLength];
        _hog224Out = new float[_hog224.OutputLength];
        _grey28v1Out = new float[_grey28v1.OutputLength];
        _rgb64v1Out = new float[_rgb64v1.OutputLength];
        _grey28v2Out = new float[_grey28v2.OutputLength];
        _lbp28Out = new float[_lbp28.OutputLength];
        _lbp64Out = new float[_lbp64.OutputLength];
        _rgb64v3Out = new float[_rgb64v3.OutputLength];
        _moments64Out = new float[_moments64.OutputLength];
        _hsv64Out = new float[_hsv64.OutputLength];
    }

    [Benchmark(Description = "Corr2d valid 28x28 * Sobel 3x3 (2-D path)")]
    public void Corr2d28() => Correlation.Corr2d(_grey28, 28, 28, Kernels.SobelX, _corrOut);

    [Benchmark(Description = "Sobel dx+dy fused 28x28")]
    public void Sobel28() => Gradients.Sobel(_grey28, 28, 28, _gx, _gy);

    [Benchmark(Description = "HOG 28x28 (cell 4, block 2, 9 bins)")]
    public void Hog28() => _hog28.Extract(_grey28, _hog28Out);

    [Benchmark(Description = "grey28-v1 full")]
    public void Grey28V1() => _grey28v1.Extract(_grey28, _grey28v1Out);

    [Benchmark(Description = "LBP 28x28 (8 points, radius 1, uniform, 7x7 cells)")]
    public void Lbp28() => _lbp28.Extract(_grey28, _lbp28Out);

    [Benchmark(Description = "grey28-v2 full")]
    public void Grey28V2() => _grey28v2.Extract(_grey28, _grey28v2Out);

    [Benchmark(Description = "LBP 64x64 RGB (8 points, radius 1, uniform, 8x8 cells; rgb64-v2's)")]
    public void Lbp64Rgb() => _lbp64.Extract(_rgb64, _lbp64Out);

    [Benchmark(Description = "rgb64-v1 full")]
    public void Rgb64V1() => _rgb64v1.Extract(_rgb64, _rgb64v1Out);

    [Benchmark(Description = "Lab colour moments 64x64 (1-2-4 pyramid)")]
    public void Moments64() => _moments64.Extract(_rgb64, _moments64Out);

    [Benchmark(Description = "RGB to CIE Lab 64x64")]
    public void Lab64() => ColourSpaces.RgbToLab(_rgb64, _converted64, 64 * 64);

    [Benchmark(Description = "RGB to HSV 64x64")]
    public void HsvConvert64() => ColourSpaces.RgbToHsv(_rgb64, _converted64, 64 * 64);

    [Benchmark(Description = "HSV histogram 64x64 (8x3x3)")]
    public void Hsv64() => _hsv64.Extract(_rgb64, _hsv64Out);

    [Benchmark(Description = "rgb64-v3 full")]
    public void Rgb64V3() => _rgb64v3.Extract(_rgb64, _rgb64v3Out);

    [Benchmark(Description = "HOG 224x224 RGB (cell 8, block 2, 9 bins)")]
    public void Hog224Rgb() => _hog224.Extract(_rgb224, _hog224Out);
}
