namespace ImageWorkbench.FeatureExtractors.Tests;

public class KernelTests
{
    public static TheoryData<string> Names => new() { "SobelX", "SobelY", "ScharrX", "ScharrY", "PrewittX", "PrewittY", "CentralDifferenceX", "CentralDifferenceY" };

    private static Kernel2D Get(string name) => (Kernel2D)typeof(Kernels).GetProperty(name)!.GetValue(null)!;

    [Fact]
    public void Sobel_values_are_the_textbook_ones()
    {
        Assert.Equal([-1f, 0, 1, -2, 0, 2, -1, 0, 1], Kernels.SobelX.Values.ToArray());
        Assert.Equal([-1f, -2, -1, 0, 0, 0, 1, 2, 1], Kernels.SobelY.Values.ToArray());
        Assert.Equal([-3f, 0, 3, -10, 0, 10, -3, 0, 3], Kernels.ScharrX.Values.ToArray());
        Assert.Equal([-1f, 0, 1, -1, 0, 1, -1, 0, 1], Kernels.PrewittX.Values.ToArray());
        Assert.Equal([0f, 1, 0, 1, -4, 1, 0, 1, 0], Kernels.Laplacian.Values.ToArray());
        Assert.False(Kernels.Laplacian.IsSeparable);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Separable_factors_reproduce_the_values(string name)
    {
        Kernel2D k = Get(name);
        Assert.True(k.IsSeparable);
        for (int y = 0; y < k.Height; y++)
        {
            for (int x = 0; x < k.Width; x++)
            {
                Assert.Equal(k.ColumnFactor[y] * k.RowFactor[x], k[y, x]);
            }
        }
    }

    [Fact]
    public void Transpose_and_flip()
    {
        Assert.Equal(Kernels.SobelY, Kernels.SobelX.Transposed());
        Assert.Equal(Kernels.ScharrY, Kernels.ScharrX.Transposed());
        var k = new Kernel2D(2, 2, [0, 1, 2, 3]);
        Assert.Equal(new Kernel2D(2, 2, [3, 2, 1, 0]), k.Flipped());
        Assert.Equal([1f, 0, -1], Kernels.SobelX.Flipped().RowFactor.ToArray());
        Assert.Equal("2x2 [0 1; 2 3]", k.ToString());
    }
}
