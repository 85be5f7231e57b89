using System.Globalization;
using ImageWorkbench.Pipeline.Pictures;
using ImageWorkbench.Pipeline.Reports.Document;
using ImageWorkbench.Runtime;

namespace ImageWorkbench.Pipeline.Reports;

/// <summary>
/// The text's closing argument made visible: the first-layer kernels each network learned (or, for the frozen CNN, learned on
/// ImageNet) drawn at the same scale as the hand-made Sobel x and y kernels, each kernel's response on the same test image next
/// to the Sobel responses, and one generated line per kernel on what it found (<see cref="KernelAnalysis"/>). Runs whose
/// packages share one layer (cnn and hybrid both use ResNet18's conv1) are shown once.
/// </summary>
internal sealed class LearnedKernelsSection : IReportSection
{
    public IEnumerable<Block> Build(ReportContext context)
    {
        var layers = context.Runs.Select((run, i) => (Label: context.Labels[i], run.FirstLayer))
            .Where(r => r.FirstLayer is not null)
            .GroupBy(r => r.FirstLayer!.Kernels.Layer + "|" + r.FirstLayer!.Kernels.Weights.Length.ToString(CultureInfo.InvariantCulture) + "|" + r.FirstLayer!.Kernels.Weights[0].ToString("R", CultureInfo.InvariantCulture))
            .Select(g => (Labels: string.Join(", ", g.Select(r => r.Label)), Layer: g.First().FirstLayer!))
            .ToList();
        if (layers.Count == 0 || context.KernelExample() is not { } image)
        {
            return [];
        }

        var blocks = new List<Block>
        {
            new Heading(2, "What the networks learned at their first layer, beside Sobel", "learned-kernels"),
            new Paragraph([new Text(
                $"A CNN learns its first-layer kernels from data, where Sobel's are made by hand. Every kernel is drawn at {KernelPictures.PixelsPerWeight} pixels per weight, " +
                "the same scale as the Sobel x and y kernels (mid grey 0, white the kernel's largest positive weight, black its largest negative; colour kernels in RGB), " +
                $"numbered row by row. Responses: each kernel correlated with the same test image ({image.Name}) as the network sees it, each channel minus its mean, " +
                "edges replicated; mid grey 0, each response scaled to its own largest magnitude. The line under each layer says what each kernel found, " +
                "from measured properties: balance (0 = zero-mean, derivative-like), coherence of its gradient orientation, odd share (1 = a step edge, 0 = a line or spot), colour share.")]),
        };

        int n = 0;
        foreach (var (labels, layer) in layers)
        {
            n++;
            KernelView sobel, learned;
            try
            {
                sobel = KernelPictures.Sobel(image, layer.Input);
                learned = KernelPictures.Learned(layer.Kernels, image, layer.Input);
            }
            catch (WorkbenchException)
            {
                continue; // an unreadable example image only loses the pictures
            }

            var k = layer.Kernels;
            var stem = string.Create(CultureInfo.InvariantCulture, $"kernels-{n:00}");
            blocks.Add(new Heading(3, string.Create(CultureInfo.InvariantCulture, $"{labels}: {k.Layer}, {k.Count} kernels of {k.Channels} x {k.Height} x {k.Width}, input {layer.Input.Width} x {layer.Input.Height}")));
            // the learned pictures as plain images, shown at their own size like Sobel's (a figure group would shrink them)
            if (ReportContext.Picture(stem + "-sobel", sobel.KernelsPng, "Sobel x and y kernels") is { } sobelKernels
                && ReportContext.Picture(stem + "-sobel-responses", sobel.ResponsesPng, "Sobel x and y responses") is { } sobelResponses
                && ReportContext.Picture(stem + "-learned", learned.KernelsPng, $"First-layer kernels of {labels}") is { } learnedKernels
                && ReportContext.Picture(stem + "-responses", learned.ResponsesPng, $"First-layer responses of {labels}") is { } learnedResponses)
            {
                blocks.Add(new FigureGroup([("Sobel x, y (made by hand)", sobelKernels), ("Sobel x, y responses", sobelResponses)]));
                blocks.Add(new Paragraph([new Text($"Learned kernels of {labels}, at the same {KernelPictures.PixelsPerWeight} pixels per weight:")]));
                blocks.Add(new Image(learnedKernels));
                blocks.Add(new Paragraph([new Text("Their responses on the same image, in the same order:")]));
                blocks.Add(new Image(learnedResponses));
            }

            blocks.Add(new BulletList(learned.Lines, ParagraphStyle.Note));
        }

        return blocks.Count > 2 ? blocks : [];
    }
}
