namespace ImageWorkbench.FeatureExtractors.Tests;

public class AllocationAndArchitectureTests
{
    public static TheoryData<string> Extractors() => new() { "grey28-v1", "rgb64-v1", "hog-rgb", "edges", "stats", "lbp-rgb" };

    private static IFeatureExtractor Create(string name) => name switch
    {
        "hog-rgb" => new HogOptions { CellSize = 8 }.CreateHog(new ImageShape(40, 24, 3)),
        "edges" => new EdgeDensityOptions().CreateExtractor(new ImageShape(30, 20, 3)),
        "stats" => new ColourStatisticsOptions().CreateExtractor(new ImageShape(30, 20, 3)),
        "lbp-rgb" => new LocalBinaryPatternOptions { Points = 12, Radius = 1.5f }.CreateExtractor(new ImageShape(30, 20, 3)),
        _ => FeatureSetPresets.Get(name).CreateExtractor(),
    };

    [Theory]
    [MemberData(nameof(Extractors))]
    public void Extract_does_not_allocate(string name)
    {
        IFeatureExtractor e = Create(name);
        float[] img = TestImages.Lcg(3, e.InputShape.Width, e.InputShape.Height, e.InputShape.Channels);
        var f = new float[e.OutputLength];
        for (int i = 0; i < 50; i++)
        {
            e.Extract(img, f); // warm-up (tiered JIT, static caches)
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            e.Extract(img, f);
        }

        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(before, after);
    }

    [Fact]
    public void Sobel_and_correlation_do_not_allocate_after_warm_up()
    {
        float[] img = TestImages.Random(1, 28 * 28);
        var gx = new float[28 * 28];
        var gy = new float[28 * 28];
        for (int i = 0; i < 20; i++)
        {
            Gradients.Sobel(img, 28, 28, gx, gy);
            Correlation.Filter(img, 28, 28, Kernels.SobelX, PaddingMode.Reflect, gx);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Gradients.Sobel(img, 28, 28, gx, gy);
            Correlation.Filter(img, 28, 28, Kernels.SobelX, PaddingMode.Reflect, gx);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void FeatureExtractors_references_no_MLNET_assembly()
    {
        var refs = typeof(IFeatureExtractor).Assembly.GetReferencedAssemblies();
        Assert.NotEmpty(refs);
        Assert.DoesNotContain(refs, r => r.Name!.StartsWith("Microsoft.ML", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name!.StartsWith("Microsoft.ML", StringComparison.OrdinalIgnoreCase));
    }
}
