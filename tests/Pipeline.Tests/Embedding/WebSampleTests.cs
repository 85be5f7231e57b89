using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Tests.Cli;
using ImageWorkbench.Runtime.Decoding;

namespace ImageWorkbench.Pipeline.Tests.Embedding;

/// <summary>Starts samples/WebApi on 127.0.0.1 with a model the CLI trained and checks its answers against the CLI's.</summary>
public sealed class WebSampleTests(HandCraftedModelFixture model) : IClassFixture<HandCraftedModelFixture>
{
    [Fact]
    public async Task Concurrent_posts_get_the_same_answers_as_cli_predict()
    {
        Assert.Equal(0, model.ExitCode);
        var folder = Directory.CreateTempSubdirectory("web-").FullName;
        var images = WriteTestImages(folder, 12);

        var cliOutput = new StringWriter();
        Assert.Equal(0, Program.Run(["predict", "--model", model.ModelPath, "--json", "--top", "10", .. images], cliOutput, CancellationToken.None));
        var expected = JsonNode.Parse(cliOutput.ToString())!.AsArray().ToDictionary(n => n!["image"]!.GetValue<string>(), n => n!);

        var port = WebSample.FreePort();
        using var server = WebSample.Start(port, model.ModelPath);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            await WebSample.WaitUntilReady(http, server);

            // Four clients at once, each posting every image; two send raw bodies, two multipart forms.
            var clients = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
            {
                var answers = new List<(string Image, JsonNode Answer)>();
                foreach (var image in images)
                {
                    using HttpContent content = c % 2 == 0 ? RawBody(image) : Multipart(image);
                    using var response = await http.PostAsync(new Uri("/predict", UriKind.Relative), content);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    answers.Add((image, JsonNode.Parse(await response.Content.ReadAsStringAsync())!));
                }

                return answers;
            })).ToArray();

            foreach (var (image, answer) in (await Task.WhenAll(clients)).SelectMany(a => a))
            {
                var cli = expected[image];
                Assert.Equal(cli["label"]!.GetValue<string>(), answer["label"]!.GetValue<string>());
                Assert.Equal(cli["confidence"]!.GetValue<float>(), answer["confidence"]!.GetValue<float>(), 6);
                var cliScores = cli["scores"]!.AsArray().Select(s => (s!["label"]!.GetValue<string>(), s["score"]!.GetValue<float>())).ToArray();
                var webScores = answer["scores"]!.AsArray().Select(s => (s!["label"]!.GetValue<string>(), s["score"]!.GetValue<float>())).ToArray();
                Assert.Equal(cliScores, webScores);
            }

            using var bad = new ByteArrayContent([1, 2, 3, 4]);
            using var badResponse = await http.PostAsync(new Uri("/predict", UriKind.Relative), bad);
            Assert.Equal(HttpStatusCode.BadRequest, badResponse.StatusCode);
            Assert.Equal("application/problem+json", badResponse.Content.Headers.ContentType?.MediaType);
            Assert.Contains("body", JsonNode.Parse(await badResponse.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            WebSample.Stop(server);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string[] WriteTestImages(string folder, int count)
    {
        var data = DatasetLoader.Load(EmbeddedDataset.Locate());
        var shape = new FeatureExtractors.ImageShape(28, 28, 1);
        return data.Test.Where((_, i) => i % 41 == 0).Take(count).Select((image, i) =>
        {
            var pixels = new float[shape.Length];
            ImageDecoder.Default.Decode(image.Source, shape, FeatureExtractors.ResizeMode.Stretch, pixels);
            var path = Path.Combine(folder, $"image {i}.png");
            Pipeline.Pictures.PngWriter.Write(path, pixels, shape);
            return path;
        }).ToArray();
    }

    private static ByteArrayContent RawBody(string image)
    {
        var content = new ByteArrayContent(File.ReadAllBytes(image));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return content;
    }

    private static MultipartFormDataContent Multipart(string image)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(File.ReadAllBytes(image));
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "image", Path.GetFileName(image));
        return form;
    }
}

/// <summary>Runs samples/WebApi as a real process on a loopback port (shared by the web tests).</summary>
internal static class WebSample
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the sample; every line it prints goes to <paramref name="log"/> when given.</summary>
    public static Process Start(int port, string modelPath, IEnumerable<string>? extraArgs = null, System.Collections.Concurrent.ConcurrentQueue<string>? log = null)
    {
        var dll = SampleDll();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "--urls", $"http://127.0.0.1:{port}", $"--Model:Path={modelPath}" }.Concat(extraArgs ?? []))
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start };
        if (log is not null)
        {
            process.OutputDataReceived += (_, e) => Keep(log, e.Data);
            process.ErrorDataReceived += (_, e) => Keep(log, e.Data);
        }

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Keep(System.Collections.Concurrent.ConcurrentQueue<string> log, string? line)
    {
        if (line is not null)
        {
            log.Enqueue(line);
        }
    }

    public static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }

    public static async Task WaitUntilReady(HttpClient http, Process server)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(server.HasExited, $"the web sample exited with code {(server.HasExited ? server.ExitCode : 0)}");
            try
            {
                using var response = await http.GetAsync(new Uri("/model", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(250);
        }

        Assert.Fail("the web sample did not answer on /model within 60 s");
    }

    /// <summary>samples/WebApi's build output for the configuration these tests were built in.</summary>
    public static string SampleDll() => SampleBuild.Dll("WebApi");
}
