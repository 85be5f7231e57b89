using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using ImageWorkbench.Pipeline.Tests.Cli;
using ImageWorkbench.Pipeline.Tests.Embedding;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>
/// One samples/WebApi process with tight limits (2 MiB images, 3 s per request, one prediction at a time and one
/// waiting), started once for the hostile web tests, with everything it logs kept for the no-stack-trace check.
/// </summary>
public sealed class HostileWebServer : IAsyncLifetime
{
    public const int MaxImageBytes = 2 * 1024 * 1024;
    public const int TimeoutSeconds = 3;

    private readonly HandCraftedModelFixture _model = new();
    private Process? _server;

    public int Port { get; } = WebSample.FreePort();

    public ConcurrentQueue<string> Log { get; } = new();

    public string ModelPath => _model.ModelPath;

    public async Task InitializeAsync()
    {
        Assert.True(_model.ExitCode == 0, _model.TrainOutput);
        _server = WebSample.Start(Port, _model.ModelPath, [
            $"--Predict:MaxImageBytes={MaxImageBytes}", $"--Predict:TimeoutSeconds={TimeoutSeconds}",
            "--Predict:MaxActive=1", "--Predict:MaxQueued=1"], Log);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(30) };
        await WebSample.WaitUntilReady(http, _server);
    }

    public Task DisposeAsync()
    {
        if (_server is not null)
        {
            WebSample.Stop(_server);
            _server.Dispose();
        }

        _model.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>What the server answered on a raw connection: the status code (0 when it closed without an answer) and the body.</summary>
internal sealed record RawAnswer(int Status, string Head, string Body)
{
    public JsonNode Problem
    {
        get
        {
            Assert.Contains("Content-Type: application/problem+json", Head, StringComparison.OrdinalIgnoreCase);
            return JsonNode.Parse(Body)!;
        }
    }

    public override string ToString() => $"{Head}\n\n{Body}";
}

/// <summary>issue 11, item 18: hostile requests to samples/WebApi get a 4xx problem+json answer and one log line, never a 500 or a trace.</summary>
public sealed class HostileWebTests(HostileWebServer server) : IClassFixture<HostileWebServer>
{
    private static readonly byte[] Png = HostileFiles.Picture(28, 28, 1, 7);

    private static byte[] Request(string method, IEnumerable<string> headers, byte[] body, string path = "/predict") =>
        [.. Encoding.ASCII.GetBytes($"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{string.Concat(headers.Select(h => h + "\r\n"))}\r\n"), .. body];

    private static byte[] Post(string contentType, byte[] body) => Request("POST", [$"Content-Type: {contentType}", $"Content-Length: {body.Length}"], body);

    private static byte[] Part(string disposition, string contentType, byte[] data) =>
        [.. Encoding.ASCII.GetBytes($"--xyz\r\nContent-Disposition: form-data; {disposition}\r\n{contentType}\r\n"), .. data, .. "\r\n"u8];

    /// <summary>Sends <paramref name="request"/> (then <paramref name="more"/> after a pause, if any) and reads one answer, within <paramref name="limit"/>.</summary>
    private async Task<RawAnswer> Send(byte[] request, TimeSpan? limit = null, byte[]? more = null)
    {
        using var cancel = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(20));
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", server.Port, cancel.Token);
        var stream = client.GetStream();
        var received = new MemoryStream();
        try
        {
            await stream.WriteAsync(request, cancel.Token);
            if (more is not null)
            {
                await Task.Delay(200, cancel.Token);
                await stream.WriteAsync(more, cancel.Token);
            }

            var buffer = new byte[65536];
            int n;
            while ((n = await stream.ReadAsync(buffer, cancel.Token)) > 0)
            {
                received.Write(buffer, 0, n);
                if (Complete(received.ToArray()))
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // reset by the server: whatever arrived is the answer
        }

        return Parse(Encoding.UTF8.GetString(received.ToArray()));
    }

    private static bool Complete(byte[] data)
    {
        var text = Encoding.UTF8.GetString(data);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return false;
        }

        var head = text[..split];
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            return text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal);
        }

        var length = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        return length is null || text.Length - split - 4 >= int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static RawAnswer Parse(string text)
    {
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return new RawAnswer(0, text, string.Empty);
        }

        var head = text[..split];
        var body = text[(split + 4)..];
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            var joined = new StringBuilder();
            for (int at = 0; at < body.Length;)
            {
                var eol = body.IndexOf("\r\n", at, StringComparison.Ordinal);
                var size = Convert.ToInt32(body[at..eol], 16);
                joined.Append(body, eol + 2, size);
                at = eol + 2 + size + 2;
                if (size == 0)
                {
                    break;
                }
            }

            body = joined.ToString();
        }

        return new RawAnswer(int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), head, body);
    }

    private void AssertLogClean()
    {
        var lines = server.Log.ToArray();
        Assert.DoesNotContain(lines, l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal) || l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("Exception:", StringComparison.Ordinal));
    }

    private async Task<RawAnswer> AssertProblem(int status, byte[] request, string detailContains)
    {
        var answer = await Send(request);
        Assert.True(answer.Status == status, answer.ToString());
        var problem = answer.Problem;
        Assert.Equal(status, problem["status"]!.GetValue<int>());
        Assert.Contains(detailContains, problem["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        AssertLogClean();
        return answer;
    }

    [Fact]
    public Task Multipart_without_a_boundary_is_400() =>
        AssertProblem(400, Post("multipart/form-data", Png), "boundary");

    [Fact]
    public Task A_body_that_is_not_multipart_under_a_multipart_type_is_400() =>
        AssertProblem(400, Post("multipart/form-data; boundary=xyz", Png), "closing boundary");

    [Fact]
    public Task A_truncated_file_part_is_400()
    {
        byte[] body = [.. Encoding.ASCII.GetBytes("--xyz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\n\r\n"), .. Png.AsSpan(0, 60)];
        return AssertProblem(400, Post("multipart/form-data; boundary=xyz", body), "closing boundary");
    }

    [Fact]
    public Task A_form_with_20k_keys_is_400()
    {
        var body = Enumerable.Range(0, 20_000).SelectMany(i => Part($"name=\"k{i}\"", string.Empty, "v"u8.ToArray())).Concat("--xyz--\r\n"u8.ToArray()).ToArray();
        return AssertProblem(400, Post("multipart/form-data; boundary=xyz", body), "no file part");
    }

    [Fact]
    public Task An_urlencoded_form_with_20k_keys_is_400_not_parsed_as_a_form()
    {
        var body = Encoding.ASCII.GetBytes(string.Join('&', Enumerable.Range(0, 20_000).Select(i => $"k{i}=v")));
        return AssertProblem(400, Post("application/x-www-form-urlencoded", body), "body");
    }

    [Fact]
    public Task Too_many_part_headers_is_400()
    {
        var body = Encoding.ASCII.GetBytes("--xyz\r\n" + string.Concat(Enumerable.Range(0, 50).Select(i => $"X-A{i}: b\r\n")) + "\r\nv\r\n--xyz--\r\n");
        return AssertProblem(400, Post("multipart/form-data; boundary=xyz", body), "limit");
    }

    [Fact]
    public Task A_file_part_over_the_image_cap_is_413()
    {
        byte[] body = [.. Part("name=\"f\"; filename=\"big.png\"", "Content-Type: image/png\r\n", new byte[HostileWebServer.MaxImageBytes + 1]), .. "--xyz--\r\n"u8];
        return AssertProblem(413, Post("multipart/form-data; boundary=xyz", body), "bytes");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    [InlineData("multipart/mixed; boundary=xyz")]
    [InlineData("image/png; =")]
    public Task A_wrong_content_type_is_415(string contentType) =>
        AssertProblem(415, Post(contentType, Png), "Content-Type");

    [Fact]
    public Task An_empty_body_is_400() =>
        AssertProblem(400, Request("POST", ["Content-Length: 0"], []), "no bytes");

    [Fact]
    public async Task An_image_that_fails_to_decode_is_400_naming_the_upload()
    {
        await AssertProblem(400, Post("image/png", [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]), "body");
        byte[] form = [.. Part("name=\"f\"; filename=\"broken.png\"", "Content-Type: image/png\r\n", Png.AsSpan(0, Png.Length / 2).ToArray()), .. "--xyz--\r\n"u8];
        await AssertProblem(400, Post("multipart/form-data; boundary=xyz", form), "broken.png");
    }

    [Fact]
    public async Task A_file_name_with_a_newline_cannot_forge_a_log_line()
    {
        byte[] form = [.. Part("name=\"f\"; filename=\"x\nerror: forged.png\"", "Content-Type: image/png\r\n", "nope"u8.ToArray()), .. "--xyz--\r\n"u8];
        var answer = await AssertProblem(400, Post("multipart/form-data; boundary=xyz", form), "forged");
        Assert.DoesNotContain('\n', answer.Problem["detail"]!.GetValue<string>());
        Assert.DoesNotContain(server.Log, l => l.StartsWith("error: forged", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_huge_content_length_with_a_short_body_is_413_at_once()
    {
        var started = Stopwatch.StartNew();
        await AssertProblem(413, Request("POST", ["Content-Type: image/png", "Content-Length: 999999999999"], "abc"u8.ToArray()), "Content-Length");
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(HostileWebServer.TimeoutSeconds), "answered only after the timeout");
    }

    [Fact]
    public Task A_chunked_body_over_the_cap_is_413()
    {
        var chunk = new byte[HostileWebServer.MaxImageBytes + 10];
        byte[] body = [.. Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n"), .. chunk, .. "\r\n0\r\n\r\n"u8];
        return AssertProblem(413, Request("POST", ["Content-Type: image/png", "Transfer-Encoding: chunked"], body), "too large");
    }

    [Theory]
    [InlineData("short body")]
    [InlineData("chunked without end")]
    public async Task A_body_that_stops_coming_is_cut_off_within_the_timeout(string kind)
    {
        var request = kind == "short body"
            ? Request("POST", ["Content-Type: image/png", "Content-Length: 5000"], Png.AsSpan(0, 100).ToArray())
            : Request("POST", ["Content-Type: image/png", "Transfer-Encoding: chunked"], [.. "10\r\n"u8, .. new byte[16], .. "\r\n"u8]);
        var started = Stopwatch.StartNew();
        var answer = await Send(request, TimeSpan.FromSeconds(HostileWebServer.TimeoutSeconds + 15));
        Assert.True(answer.Status is 0 or 408, answer.ToString());
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(HostileWebServer.TimeoutSeconds + 10), $"took {started.Elapsed}");
        AssertLogClean();
        await AssertWorks();
    }

    [Fact]
    public async Task A_full_queue_gets_503_with_retry_after_and_the_server_recovers()
    {
        // One upload that stalls holds the only slot, a second one the only queue place.
        var held = new List<TcpClient>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", server.Port);
                await client.GetStream().WriteAsync(Request("POST", ["Content-Type: image/png", "Content-Length: 5000"], Png.AsSpan(0, 10).ToArray()));
                held.Add(client);
            }

            await Task.Delay(500);
            var answer = await AssertProblem(503, Post("image/png", Png), "retry");
            Assert.Contains("Retry-After:", answer.Head, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            held.ForEach(c => c.Dispose());
        }

        await AssertWorks();
    }

    [Theory]
    [InlineData("GET", 405)]
    [InlineData("PUT", 405)]
    [InlineData("DELETE", 405)]
    public async Task Other_methods_on_predict_get_a_problem_answer(string method, int status)
    {
        var answer = await Send(Request(method, ["Content-Length: 0"], []));
        Assert.True(answer.Status == status, answer.ToString());
        Assert.Equal(status, answer.Problem["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_header_flood_is_refused_before_the_endpoint()
    {
        var answer = await Send(Request("POST", Enumerable.Range(0, 500).Select(i => $"X-H{i}: v").Append("Content-Length: 0"), []));
        Assert.True(answer.Status == 431, answer.ToString());
        AssertLogClean();
    }

    /// <summary>A good image still gets 200 (within a bounded number of tries while held slots are let go).</summary>
    private async Task AssertWorks()
    {
        RawAnswer answer = new(0, string.Empty, string.Empty);
        for (int attempt = 0; attempt < 40; attempt++)
        {
            answer = await Send(Post("image/png", Png));
            if (answer.Status == 200)
            {
                Assert.NotNull(JsonNode.Parse(answer.Body)!["label"]);
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail(answer.ToString());
    }
}

/// <summary>A Model:Path the sample cannot load ends it at once with one error line, before it listens.</summary>
public sealed class HostileWebStartupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hostile-web-start-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("fifo")]
    [InlineData("link to fifo")]
    [InlineData("missing")]
    [InlineData("folder")]
    [InlineData("device")]
    [InlineData("not a zip")]
    public async Task Bad_model_path_is_one_error_line_and_exit_1(string kind)
    {
        var path = Path.Combine(_dir, "model.zip");
        switch (kind)
        {
            case "fifo":
                HostileFiles.MakeFifo(path);
                break;
            case "link to fifo":
                HostileFiles.MakeFifo(Path.Combine(_dir, "pipe"));
                File.CreateSymbolicLink(path, "pipe");
                break;
            case "folder":
                Directory.CreateDirectory(path);
                break;
            case "device":
                path = "/dev/zero";
                break;
            case "not a zip":
                File.WriteAllText(path, "hello");
                break;
            default:
                break;
        }

        var log = new ConcurrentQueue<string>();
        using var process = WebSample.Start(WebSample.FreePort(), path, log: log);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            WebSample.Stop(process);
            Assert.Fail($"the sample did not exit with Model:Path {kind}:\n{string.Join('\n', log)}");
        }

        process.WaitForExit(); // flush the redirected output
        Assert.Equal(1, process.ExitCode);
        var lines = log.ToArray();
        Assert.True(lines.Count(l => l.StartsWith("error:", StringComparison.Ordinal)) == 1, string.Join('\n', lines));
        Assert.Contains(lines, l => l.StartsWith("error:", StringComparison.Ordinal) && l.Contains(Path.GetFileName(path), StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }
}
