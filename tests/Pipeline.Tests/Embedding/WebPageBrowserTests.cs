using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Pipeline.Tests.Cli;
using ImageWorkbench.Pipeline.Tests.Reports;

namespace ImageWorkbench.Pipeline.Tests.Embedding;

/// <summary>
/// The web sample's page at <c>/</c> in headless Chromium (found as the report test finds it: $CHROMIUM, else
/// /usr/bin/chromium): a sample image is put into the page's file input through the DevTools protocol, and the label
/// the page shows must be <c>pipeline predict</c>'s, with five score bars and the two feature pictures.
/// </summary>
public sealed partial class WebPageBrowserTests(HandCraftedModelFixture model) : IClassFixture<HandCraftedModelFixture>
{
    [Fact]
    public async Task The_page_shows_the_label_cli_predict_gives_with_five_bars_and_the_pictures()
    {
        var chromium = HeadlessChromium.RequirePath();
        Assert.Equal(0, model.ExitCode);
        var image = Path.Combine(ArchitectureTests.RepoRoot(), "samples", "images", "sneaker.png");
        var cli = new StringWriter();
        Assert.Equal(0, Program.Run(["predict", "--model", model.ModelPath, "--json", image], cli, CancellationToken.None));
        var expected = JsonNode.Parse(cli.ToString())!.AsArray()[0]!["label"]!.GetValue<string>();

        var port = WebSample.FreePort();
        using var server = WebSample.Start(port, model.ModelPath);
        var profile = Directory.CreateTempSubdirectory("chromium-page-").FullName;
        Process? browser = null;
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            await WebSample.WaitUntilReady(http, server);
            Assert.Contains("<input id=\"file\"", await http.GetStringAsync(new Uri("/", UriKind.Relative)), StringComparison.Ordinal);

            var start = new ProcessStartInfo(chromium) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--disable-extensions", "--mute-audio", "--remote-debugging-port=0",
                $"--user-data-dir={profile}", $"http://127.0.0.1:{port}/",
            })
            {
                start.ArgumentList.Add(arg);
            }

            browser = Process.Start(start)!;
            _ = browser.StandardOutput.ReadToEndAsync(); // drained, never read
            var devTools = await DevToolsAddress(browser);
            using var page = await DevToolsPage.Connect(devTools);
            await page.WaitFor("document.readyState === 'complete' && !!document.getElementById('file')");
            var document = await page.Send("DOM.getDocument", new JsonObject());
            var input = await page.Send("DOM.querySelector", new JsonObject { ["nodeId"] = document["root"]!["nodeId"]!.GetValue<int>(), ["selector"] = "#file" });
            await page.Send("DOM.setFileInputFiles", new JsonObject { ["nodeId"] = input["nodeId"]!.GetValue<int>(), ["files"] = new JsonArray(image) });
            await page.WaitFor("document.getElementById('label').textContent.length > 0");

            var shown = await page.Evaluate("document.getElementById('label').textContent");
            Assert.StartsWith(expected + " (", shown, StringComparison.Ordinal);
            Assert.Equal("5", await page.Evaluate("String(document.querySelectorAll('#bars .bar').length)"));
            Assert.Equal("true", await page.Evaluate("String(['input','magnitude','hog'].every(k => document.getElementById('picture-' + k).src.startsWith('data:image/png;base64,')))"));
            Assert.Equal(expected, await page.Evaluate("document.querySelector('#bars .bar .name').textContent"));
        }
        finally
        {
            if (browser is { HasExited: false })
            {
                browser.Kill(entireProcessTree: true);
                browser.WaitForExit(10_000);
            }

            browser?.Dispose();
            WebSample.Stop(server);
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The browser prints "DevTools listening on ws://..." on stderr once its debugging port is open.</summary>
    private static async Task<string> DevToolsAddress(Process browser)
    {
        using var timeout = new CancellationTokenSource(HeadlessChromium.Timeout);
        var seen = new StringBuilder();
        while (await browser.StandardError.ReadLineAsync(timeout.Token) is { } line)
        {
            seen.AppendLine(line);
            if (DevToolsLine().Match(line) is { Success: true } match)
            {
                _ = browser.StandardError.ReadToEndAsync(); // the rest drained, so the browser never blocks on a full pipe
                return match.Groups[1].Value;
            }
        }

        Assert.Fail($"chromium printed no DevTools address:\n{seen}");
        return string.Empty;
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex DevToolsLine();

    /// <summary>The first page target of a browser, spoken to over the DevTools protocol (JSON messages on a WebSocket).</summary>
    private sealed class DevToolsPage : IDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private int _id;

        public static async Task<DevToolsPage> Connect(string browserAddress)
        {
            var uri = new Uri(browserAddress);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var deadline = DateTime.UtcNow + HeadlessChromium.Timeout;
            while (true)
            {
                var targets = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://{uri.Host}:{uri.Port}/json/list")))!.AsArray();
                if (targets.FirstOrDefault(t => t!["type"]!.GetValue<string>() == "page" && t["url"]!.GetValue<string>().StartsWith("http", StringComparison.Ordinal)) is { } target)
                {
                    var page = new DevToolsPage();
                    await page._socket.ConnectAsync(new Uri(target["webSocketDebuggerUrl"]!.GetValue<string>()), CancellationToken.None);
                    return page;
                }

                Assert.True(DateTime.UtcNow < deadline, "chromium opened no page");
                await Task.Delay(200);
            }
        }

        public async Task<JsonObject> Send(string method, JsonObject parameters)
        {
            var id = ++_id;
            var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
            await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
            using var timeout = new CancellationTokenSource(HeadlessChromium.Timeout);
            var buffer = new byte[1 << 16];
            while (true)
            {
                using var text = new MemoryStream();
                WebSocketReceiveResult received;
                do
                {
                    received = await _socket.ReceiveAsync(buffer, timeout.Token);
                    text.Write(buffer, 0, received.Count);
                }
                while (!received.EndOfMessage);

                var answer = JsonNode.Parse(text.ToArray())!.AsObject();
                if (answer["id"]?.GetValue<int>() == id)
                {
                    Assert.True(answer["error"] is null, $"{method}: {answer["error"]}");
                    return answer["result"]!.AsObject();
                }
            }
        }

        public async Task<string> Evaluate(string expression)
        {
            var result = await Send("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
            return result["result"]!["value"]?.ToString() ?? string.Empty;
        }

        public async Task WaitFor(string condition)
        {
            var deadline = DateTime.UtcNow + HeadlessChromium.Timeout;
            while (await Evaluate($"String(!!({condition}))") != "true")
            {
                Assert.True(DateTime.UtcNow < deadline, $"the page did not reach: {condition}");
                await Task.Delay(100);
            }
        }

        public void Dispose() => _socket.Dispose();
    }
}
