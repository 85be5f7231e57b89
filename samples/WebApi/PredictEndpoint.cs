using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Models;
using ImageWorkbench.Runtime.Pictures;

namespace Samples.WebApi;

/// <summary>
/// <c>POST /predict</c>: reads one image from a raw body or the first file part of a multipart form, within
/// <see cref="UploadLimits"/>, and predicts it. Every client mistake is a 4xx problem+json answer and one warning
/// line in the log; only a server fault is a 500.
/// </summary>
public static class PredictEndpoint
{
    /// <summary>The log category of the endpoint's one-line warnings.</summary>
    public const string LogCategory = "Samples.WebApi.Predict";

    public static async Task<IResult> Handle(HttpContext context, ImageClassifier classifier, UploadLimits limits, PredictionGate gate, ILoggerFactory logs)
    {
        var log = logs.CreateLogger(LogCategory);
        var request = context.Request;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(limits.Timeout);
        var entered = false;
        try
        {
            var kind = BodyKind(request);
            if (request.ContentLength is { } declared && declared > limits.MaxRequestBodyBytes)
            {
                // Refused before a byte is read: a huge Content-Length costs nothing whatever follows it.
                throw new ClientError(StatusCodes.Status413PayloadTooLarge, "body too large", $"Content-Length {declared} is over the limit of {limits.MaxRequestBodyBytes} bytes");
            }

            if (!await gate.TryEnterAsync(timeout.Token))
            {
                context.Response.Headers.RetryAfter = "1";
                throw new ClientError(StatusCodes.Status503ServiceUnavailable, "busy", $"{limits.MaxActive} predictions running and {limits.MaxQueued} waiting; retry later");
            }

            entered = true;
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            {
                bodySize.MaxRequestBodySize = kind == Body.Form ? limits.MaxRequestBodyBytes : limits.MaxImageBytes;
            }

            // A body read cancelled midway leaves Kestrel's body reader busy, and Kestrel then logs an error with a
            // trace when it drains the body (dotnet/aspnetcore#17840). So a body slower than the timeout is not
            // cancelled but its connection aborted: the client sees the connection close, the log stays quiet.
            // (Kestrel's MinRequestBodyDataRate already ends a trickle slower than 240 bytes/s with a 408.)
            (ReadOnlyMemory<byte> Image, string Name) upload;
            using (timeout.Token.Register(context.Abort))
            {
                upload = kind == Body.Form
                    ? await ReadFormFile(request, limits, context.RequestAborted)
                    : (await ReadBounded(request.Body, limits.MaxImageBytes, "body", context.RequestAborted), "body");
            }

            var (image, name) = upload;
            if (image.Length == 0)
            {
                throw new ClientError(StatusCodes.Status400BadRequest, "empty image", $"{name}: no bytes; send an image (PNG, JPEG, BMP, GIF or WebP)");
            }

            var p = classifier.Predict(image, name);
            return Results.Ok(new
            {
                label = p.Label,
                confidence = p.Confidence,
                scores = p.Scores.Select(s => new { label = s.Key, score = s.Value }),
                outOfDistribution = p.OutOfDistribution,
                pictures = request.Query.ContainsKey("pictures") ? Pictures(classifier, image, name) : null,
            });
        }
        catch (ClientError error)
        {
            return Problem(log, error.Status, error.Title, error.Message);
        }
        catch (ImageDecodeException ex)
        {
            return Problem(log, StatusCodes.Status400BadRequest, "image cannot be decoded", ex.Message);
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own verdicts on the body: too large (413), too slow (408), ended early (400).
            return Problem(log, ex.StatusCode, "bad request body", ex.Message);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            if (entered && timeout.IsCancellationRequested)
            {
                log.LogWarning("POST /predict: the body did not arrive within {Seconds} s; connection closed", limits.Timeout.TotalSeconds);
            }

            return Results.Empty; // the client went away, or its connection was closed for being too slow: nobody to answer
        }
        catch (InvalidDataException ex)
        {
            // MultipartReader: a part over a limit, too many or too long part headers, malformed part headers.
            return Problem(log, StatusCodes.Status400BadRequest, "malformed multipart body", ex.Message);
        }
        catch (IOException)
        {
            // MultipartReader's "unexpected end of stream": the body ends inside a part.
            return Problem(log, StatusCodes.Status400BadRequest, "truncated multipart body", "the multipart body ends before its closing boundary");
        }
        catch (OperationCanceledException)
        {
            // Only the wait for a slot is cancelled by the timeout (no body has been read yet).
            return Problem(log, StatusCodes.Status503ServiceUnavailable, "busy", $"no prediction slot within {limits.Timeout.TotalSeconds:F0} s; retry later");
        }
        finally
        {
            if (entered)
            {
                gate.Exit();
            }
        }
    }

    /// <summary>
    /// <c>?pictures</c> (the page at <c>/</c> asks for them): the image as the features see it, its Sobel gradient
    /// magnitude and its HOG glyphs, as PNG data URLs; analysed at the model's side for a grey model.
    /// </summary>
    private static Dictionary<string, string> Pictures(ImageClassifier classifier, ReadOnlyMemory<byte> image, string name)
    {
        var input = classifier.Metadata.Input;
        var side = input.Channels == 1 ? input.Width : (int?)null;
        return FeaturePictureRenderer.Render(ImageSource.FromEncoded(image, name), side)
            .Where(p => p.Name is "input" or "magnitude" or "hog")
            .ToDictionary(p => p.Name, p => "data:image/png;base64," + Convert.ToBase64String(p.Png));
    }

    private enum Body
    {
        Raw,
        Form,
    }

    /// <summary>
    /// Raw image bytes (image/*, application/octet-stream, no type, or curl's default
    /// application/x-www-form-urlencoded, whose body <c>--data-binary @img.png</c> sends as is) or multipart/form-data.
    /// </summary>
    private static Body BodyKind(HttpRequest request)
    {
        if (string.IsNullOrEmpty(request.ContentType))
        {
            return Body.Raw;
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type))
        {
            throw new ClientError(StatusCodes.Status415UnsupportedMediaType, "unsupported content type", $"Content-Type '{Printable(request.ContentType)}' cannot be parsed");
        }

        if (type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return Body.Form;
        }

        if (type.Type.Equals("image", StringComparison.OrdinalIgnoreCase) || type.MediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase)
            || type.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return Body.Raw;
        }

        throw new ClientError(StatusCodes.Status415UnsupportedMediaType, "unsupported content type", $"Content-Type '{Printable(type.MediaType.Value ?? string.Empty)}': send the image as the body (image/* or application/octet-stream) or as a file in multipart/form-data");
    }

    /// <summary>The first file part of the form, streamed: text fields before it are skipped, parts after it never read.</summary>
    private static async Task<(ReadOnlyMemory<byte> Image, string Name)> ReadFormFile(HttpRequest request, UploadLimits limits, CancellationToken cancellationToken)
    {
        var type = MediaTypeHeaderValue.Parse(request.ContentType);
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > UploadLimits.MaxBoundaryLength)
        {
            throw new ClientError(StatusCodes.Status400BadRequest, "malformed multipart body", $"multipart/form-data needs a boundary of 1 to {UploadLimits.MaxBoundaryLength} characters");
        }

        var reader = new MultipartReader(boundary, request.Body)
        {
            HeadersCountLimit = UploadLimits.MaxPartHeaderCount,
            HeadersLengthLimit = UploadLimits.MaxPartHeaderBytes,
            BodyLengthLimit = null, // each part is read through ReadBounded, which answers 413 at its own cap
        };
        for (int part = 0; part < limits.MaxFormParts; part++)
        {
            var section = await reader.ReadNextSectionAsync(cancellationToken);
            if (section is null)
            {
                throw new ClientError(StatusCodes.Status400BadRequest, "no file", "the form has no file part");
            }

            if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) && disposition.IsFileDisposition())
            {
                var name = DisplayName(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value);
                return (await ReadBounded(section.Body, limits.MaxImageBytes, name, cancellationToken), name);
            }

            await ReadBounded(section.Body, UploadLimits.MaxTextFieldBytes, "a form field", cancellationToken);
        }

        throw new ClientError(StatusCodes.Status400BadRequest, "no file", $"no file part among the first {limits.MaxFormParts} parts of the form");
    }

    /// <summary>Reads a stream to its end into one buffer, refusing more than <paramref name="limit"/> bytes (413) as soon as they arrive.</summary>
    private static async Task<ReadOnlyMemory<byte>> ReadBounded(Stream body, long limit, string name, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    throw new ClientError(StatusCodes.Status413PayloadTooLarge, "too large", $"{name}: more than {limit} bytes");
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length); // no second copy
    }

    private static IResult Problem(ILogger log, int status, string title, string detail)
    {
        detail = Printable(detail);
        log.LogWarning("POST /predict {Status}: {Detail}", status, detail);
        return Results.Problem(detail: detail, statusCode: status, title: title);
    }

    /// <summary>A client's file name fit for a message: no folders, no control characters (no forged log lines), at most 100 characters.</summary>
    private static string DisplayName(string? fileName)
    {
        var name = Printable(Path.GetFileName(fileName ?? string.Empty));
        return name.Length == 0 ? "upload" : name.Length > 100 ? name[..100] + "..." : name;
    }

    private static string Printable(string text) =>
        string.Create(text.Length, text, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });

    /// <summary>A client mistake, answered with <see cref="Status"/> and a problem+json body.</summary>
    private sealed class ClientError(int status, string title, string detail) : Exception(detail)
    {
        public int Status { get; } = status;

        public string Title { get; } = title;
    }
}
