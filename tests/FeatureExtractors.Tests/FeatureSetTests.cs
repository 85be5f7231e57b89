namespace ImageWorkbench.FeatureExtractors.Tests;

public class FeatureSetTests
{
    public static TheoryData<string> PresetNames()
    {
        var d = new TheoryData<string>();
        foreach (string n in FeatureSetPresets.Names)
        {
            d.Add(n);
        }

        return d;
    }

    [Fact]
    public void Length_constants_equal_the_computed_lengths()
    {
        Assert.Equal(FeatureSetPresets.Grey28V1Length, FeatureSetPresets.Get("grey28-v1").OutputLength);
        Assert.Equal(FeatureSetPresets.Rgb64V1Length, FeatureSetPresets.Get("rgb64-v1").OutputLength);
        Assert.Equal(1826, FeatureSetPresets.Grey28V1Length);
        Assert.Equal(1838, FeatureSetPresets.Rgb64V1Length);
        Assert.Equal(new ImageShape(28, 28, 1), FeatureSetPresets.Get("grey28-v1").InputShape);
        Assert.Equal(new ImageShape(64, 64, 3), FeatureSetPresets.Get("rgb64-v1").InputShape);
        Assert.Equal(FeatureSetPresets.Grey28V2Length, FeatureSetPresets.Get("grey28-v2").OutputLength);
        Assert.Equal(2316, FeatureSetPresets.Grey28V2Length);
        Assert.Equal(FeatureSetPresets.Rgb64V2Length, FeatureSetPresets.Get("rgb64-v2").OutputLength);
        Assert.Equal(2478, FeatureSetPresets.Rgb64V2Length);
        Assert.Equal(FeatureSetPresets.Rgb64V3Length, FeatureSetPresets.Get("rgb64-v3").OutputLength);
        Assert.Equal(["grey28-v1", "rgb64-v1", "grey28-v2", "rgb64-v2", "rgb64-v3"], FeatureSetPresets.Names);
    }

    [Fact]
    public void Rgb64_v3_begins_with_rgb64_v2()
    {
        FeatureSetDefinition v2 = FeatureSetPresets.Get("rgb64-v2"), v3 = FeatureSetPresets.Get("rgb64-v3");
        float[] img = TestImages.Lcg(7, 64, 64, 3);
        var a = new float[v2.OutputLength];
        var b = new float[v3.OutputLength];
        v2.CreateExtractor().Extract(img, a);
        v3.CreateExtractor().Extract(img, b);
        Assert.Equal(a, b[..a.Length]);
        FeatureSegment hsv = v3.GetSegment("hsv");
        Assert.Equal(1f, b.AsSpan(hsv.Offset, hsv.Length).ToArray().Sum(), 1e-4f);
    }

    [Theory]
    [InlineData("grey28-v1", "grey28-v2", 49)]
    [InlineData("rgb64-v1", "rgb64-v2", 64)]
    public void A_v2_preset_begins_with_its_v1_then_adds_texture(string v1Name, string v2Name, int cells)
    {
        FeatureSetDefinition first = FeatureSetPresets.Get(v1Name), second = FeatureSetPresets.Get(v2Name);
        Assert.Equal(first.InputShape, second.InputShape);
        float[] img = TestImages.Lcg(5, first.InputShape.Width, first.InputShape.Height, first.InputShape.Channels);
        var v1 = new float[first.OutputLength];
        var v2 = new float[second.OutputLength];
        first.CreateExtractor().Extract(img, v1);
        second.CreateExtractor().Extract(img, v2);
        Assert.Equal(v1, v2[..v1.Length]);
        FeatureSegment lbp = second.GetSegment("lbp");
        Assert.Equal((v1.Length, cells * 10), (lbp.Offset, lbp.Length));
        Assert.Equal(cells, v2.AsSpan(lbp.Offset, lbp.Length).ToArray().Sum(), 1e-3f); // shares summing to 1 per cell
    }

    [Fact]
    public void Unknown_name_lists_valid_names()
    {
        var e = Assert.Throws<ArgumentException>(() => FeatureSetPresets.Get("grey28-v9"));
        Assert.Contains("grey28-v1", e.Message, StringComparison.Ordinal);
        Assert.Contains("rgb64-v1", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void Layout_is_contiguous_and_named(string name)
    {
        FeatureSetDefinition d = FeatureSetPresets.Get(name);
        int offset = 0;
        foreach (FeatureSegment s in d.Segments)
        {
            Assert.Equal(offset, s.Offset);
            Assert.True(s.Length > 0);
            offset = s.End;
        }

        Assert.Equal(d.OutputLength, offset);
        Assert.Equal(d.Segments.Count, d.Segments.Select(s => s.Name).Distinct().Count());
        string text = d.Describe();
        Assert.StartsWith($"{name} input={d.InputShape} length={d.OutputLength}", text, StringComparison.Ordinal);
        for (int i = 0; i < d.Segments.Count; i++)
        {
            Assert.Contains($"{d.Segments[i].Name} [{d.Segments[i].Offset},{d.Segments[i].End}) {d.Extractors[i].Name}", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Grey28_segments()
    {
        FeatureSetDefinition d = FeatureSetPresets.Grey28V1;
        Assert.Equal(
            [("hog4", 0, 1296), ("hog7", 1296, 324), ("pixels", 1620, 196), ("intensity", 1816, 10)],
            d.Segments.Select(s => (s.Name, s.Offset, s.Length)));
    }

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void Deterministic_and_finite(string name)
    {
        FeatureSetDefinition d = FeatureSetPresets.Get(name);
        IFeatureExtractor a = d.CreateExtractor(), b = d.CreateExtractor();
        float[] img = TestImages.Lcg(42, d.InputShape.Width, d.InputShape.Height, d.InputShape.Channels);
        var fa = new float[d.OutputLength];
        var fb = new float[d.OutputLength];
        var fa2 = new float[d.OutputLength];
        a.Extract(img, fa);
        b.Extract(img, fb);
        a.Extract(new float[img.Length], fa2); // something else in between
        a.Extract(img, fa2);
        Assert.Equal(fa, fb);
        Assert.Equal(fa, fa2);
        Assert.All(fa, v => Assert.True(float.IsFinite(v)));
        Assert.Contains(fa, v => v != 0f);

        // segment contents equal the stand-alone extractors
        for (int i = 0; i < d.Segments.Count; i++)
        {
            IFeatureExtractor part = d.Extractors[i].CreateExtractor(d.InputShape);
            var f = new float[part.OutputLength];
            part.Extract(img, f);
            Assert.Equal(f, fa.AsSpan(d.Segments[i].Offset, d.Segments[i].Length).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void Blank_and_white_images_give_no_NaN(string name)
    {
        FeatureSetDefinition d = FeatureSetPresets.Get(name);
        IFeatureExtractor e = d.CreateExtractor();
        var f = new float[d.OutputLength];
        e.Extract(new float[d.InputShape.Length], f);
        Assert.All(f, v => Assert.True(float.IsFinite(v)));
        e.Extract(Enumerable.Repeat(1f, d.InputShape.Length).ToArray(), f);
        Assert.All(f, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Wrong_input_size_throws()
    {
        IFeatureExtractor e = FeatureSetPresets.Grey28V1.CreateExtractor();
        Assert.ThrowsAny<ArgumentException>(() => e.Extract(new float[27 * 28], new float[e.OutputLength]));
        Assert.ThrowsAny<ArgumentException>(() => e.Extract(new float[28 * 28], new float[10]));
    }

    [Fact]
    public void Custom_sets_reject_duplicate_segments()
    {
        Assert.Throws<ArgumentException>(() => new FeatureSetDefinition("x", new ImageShape(8, 8, 1),
            [("a", new PixelsOptions()), ("a", new PixelsOptions { BlockSize = 2 })]));
        var ok = new FeatureSetDefinition("x", new ImageShape(8, 8, 1), [("a", new PixelsOptions()), ("b", new PixelsOptions { BlockSize = 2 })]);
        Assert.Equal(64 + 16, ok.OutputLength);
        Assert.Equal(new FeatureSegment("b", 64, 16), ok.GetSegment("b"));
    }
}

public class FeatureSetSharingTests
{
    [Fact]
    public void Hog_segments_equal_stand_alone_workers_whether_or_not_they_share_votes()
    {
        var shape = new ImageShape(28, 28, 3);
        var parts = new (string, IFeatureExtractorOptions)[]
        {
            ("a", new HogOptions { CellSize = 4 }),
            ("b", new HogOptions { CellSize = 7 }),                 // shares a's votes
            ("c", new HogOptions { CellSize = 7, Bins = 12 }),      // different bins: computes its own
            ("d", new HogOptions { CellSize = 14, Bins = 12 }),     // shares c's votes
            ("e", HogOptions.ScikitImage(4, 2)),                    // different border and vote
        };
        var d = new FeatureSetDefinition("mixed", shape, parts);
        IFeatureExtractor set = d.CreateExtractor();
        float[] img = TestImages.Lcg(9, 28, 28, 3);
        var f = new float[d.OutputLength];
        set.Extract(img, f);
        for (int i = 0; i < parts.Length; i++)
        {
            IFeatureExtractor alone = parts[i].Item2.CreateExtractor(shape);
            var g = new float[alone.OutputLength];
            alone.Extract(img, g);
            Assert.Equal(g, f.AsSpan(d.Segments[i].Offset, d.Segments[i].Length).ToArray());
        }
    }
}
