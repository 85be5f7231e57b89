using System.Text.RegularExpressions;
using ImageWorkbench.Pipeline.Reports;
using static ImageWorkbench.Pipeline.Tests.Reports.ReportFixtures;

namespace ImageWorkbench.Pipeline.Tests.Reports;

/// <summary>
/// Opens report.html in headless Chromium (offline, fresh profile, 60 s timeout) and checks that it renders, that every picture decodes,
/// and that the page logs no errors. Needs /usr/bin/chromium (or $CHROMIUM); fails with install advice when it is missing.
/// Set REPORT_TEST_KEEP=&lt;folder&gt; to keep the report and the screenshot for a look.
/// </summary>
public sealed partial class ReportBrowserTests : IDisposable
{
    // Injected into a copy of the report (the report itself has no scripts): counts pictures that failed to decode once everything has loaded.
    private const string Probe = """
        <script>
        window.addEventListener('load', function () {
          var images = Array.prototype.slice.call(document.images);
          var broken = images.filter(function (i) { return !i.complete || i.naturalWidth === 0; });
          document.body.setAttribute('data-images', String(images.length));
          document.body.setAttribute('data-broken-images', String(broken.length));
          if (broken.length > 0) { console.error('broken images: ' + broken.map(function (i) { return i.alt; }).join(', ')); }
        });
        </script>
        """;

    private readonly string folder = TempFolder();

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Report_renders_in_chromium_with_every_image_loaded_and_no_errors()
    {
        var chromium = HeadlessChromium.RequirePath();
        var keep = Environment.GetEnvironmentVariable("REPORT_TEST_KEEP");
        var output = keep is { Length: > 0 } ? Path.GetFullPath(keep) : Path.Combine(folder, "report");
        var result = Result();
        ComparisonReport.Write(result, output, new FakeReportImages());
        var report = Path.Combine(output, ComparisonReport.HtmlFile);
        var html = File.ReadAllText(report);
        var imgTags = Regex.Matches(html, "<img\\b").Count;

        // 1. DOM after load, from a probed copy in another folder (the report must not depend on files next to it).
        var probed = Path.Combine(folder, "probe", "report-probed.html");
        Directory.CreateDirectory(Path.GetDirectoryName(probed)!);
        File.WriteAllText(probed, html.Replace("</body>", Probe + "</body>", StringComparison.Ordinal));
        var dom = HeadlessChromium.Start(chromium, probed, "--virtual-time-budget=10000", "--dump-dom");
        Assert.True(dom.ExitCode == 0, $"chromium --dump-dom exited {dom.ExitCode}:\n{dom.Stderr}");
        Assert.Contains("Hand-crafted features vs CNN: pets-mini", dom.Stdout, StringComparison.Ordinal);
        Assert.Contains(ReportAnalysis.TradeOff(result).Sentence, dom.Stdout, StringComparison.Ordinal);
        var body = BodyTag().Match(dom.Stdout);
        Assert.True(body.Success, "the probe did not run (no data-broken-images on <body>):\n" + dom.Stdout[..Math.Min(500, dom.Stdout.Length)]);
        Assert.Equal(imgTags.ToString(System.Globalization.CultureInfo.InvariantCulture), ImagesAttr().Match(body.Value).Groups[1].Value);
        Assert.Equal("0", body.Groups[1].Value);
        Assert.Empty(HeadlessChromium.PageErrors(dom.Stderr));

        // 2. A screenshot of the report itself: written, a real PNG, and not a blank page.
        var screenshot = Path.Combine(keep is { Length: > 0 } ? output : folder, "screenshot.png");
        var shot = HeadlessChromium.Start(chromium, report, $"--screenshot={screenshot}", "--window-size=1280,4000", "--hide-scrollbars");
        Assert.True(shot.ExitCode == 0, $"chromium --screenshot exited {shot.ExitCode}:\n{shot.Stderr}");
        Assert.True(File.Exists(screenshot), "no screenshot written:\n" + shot.Stderr);
        var png = File.ReadAllBytes(screenshot);
        Assert.True(ComparisonReportTests.IsPng(png));
        Assert.True(png.Length > 50_000, $"screenshot is only {png.Length} bytes: probably blank");
        Assert.Empty(HeadlessChromium.PageErrors(shot.Stderr));
        if (keep is not { Length: > 0 })
        {
            File.Delete(screenshot);
        }
    }

    [Fact]
    public void The_browser_check_detects_broken_images_and_script_errors()
    {
        // Control: the same probe must notice what it is meant to notice, or the check above proves nothing.
        var chromium = HeadlessChromium.RequirePath();
        var bad = Path.Combine(folder, "bad.html");
        File.WriteAllText(bad, "<!DOCTYPE html><html><head><title>bad</title></head><body><img alt=a src=\"data:image/png;base64,AAAA\"><img alt=b src=\"https://example.invalid/x.png\"><script>missingFunction();</script>" + Probe + "</body></html>");
        var run = HeadlessChromium.Start(chromium, bad, "--virtual-time-budget=10000", "--dump-dom");
        Assert.Equal("2", BodyTag().Match(run.Stdout).Groups[1].Value);
        var errors = HeadlessChromium.PageErrors(run.Stderr);
        Assert.Contains(errors, e => e.Contains("Uncaught", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("broken images", StringComparison.Ordinal));
    }

    [GeneratedRegex("<body[^>]*\\bdata-broken-images=\"(\\d+)\"[^>]*>")]
    private static partial Regex BodyTag();

    [GeneratedRegex("\\bdata-images=\"(\\d+)\"")]
    private static partial Regex ImagesAttr();
}
