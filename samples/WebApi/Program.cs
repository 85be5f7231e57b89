// POST an image (raw body, or a multipart form with one file) to /predict and get JSON predictions.
// The model path comes from configuration: appsettings.json "Model:Path", env Model__Path, or --Model:Path=...
using Pipeline;
using Pipeline.Models;

var builder = WebApplication.CreateBuilder(args);
var modelPath = builder.Configuration["Model:Path"]
    ?? throw new InvalidOperationException("set Model:Path (appsettings.json, env Model__Path or --Model:Path=model.zip)");
const long MaxImageBytes = 20 * 1024 * 1024;

// One classifier for the whole app: it is thread-safe and pools its prediction engines.
builder.Services.AddSingleton(_ => ImageClassifier.Load(modelPath));
var app = builder.Build();
app.Services.GetRequiredService<ImageClassifier>(); // load and warm up before the first request

app.MapGet("/model", (ImageClassifier classifier) => Results.Ok(new
{
    pipeline = classifier.Metadata.PipelineKind,
    trainer = classifier.Metadata.Trainer,
    classes = classifier.Classes,
    input = classifier.Metadata.Input,
    testAccuracy = classifier.Metadata.Training.TestAccuracy,
}));

app.MapPost("/predict", async (HttpRequest request, ImageClassifier classifier, CancellationToken cancellationToken) =>
{
    byte[] bytes;
    string name;
    if (request.HasFormContentType)
    {
        var form = await request.ReadFormAsync(cancellationToken);
        var file = form.Files.FirstOrDefault();
        if (file is null)
        {
            return Results.BadRequest(new { error = "the form has no file" });
        }

        if (file.Length > MaxImageBytes)
        {
            return Results.BadRequest(new { error = $"{file.FileName}: larger than {MaxImageBytes} bytes" });
        }

        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, cancellationToken);
        bytes = buffer.ToArray();
        name = file.FileName;
    }
    else
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length > MaxImageBytes)
        {
            return Results.BadRequest(new { error = $"body larger than {MaxImageBytes} bytes" });
        }

        bytes = buffer.ToArray();
        name = "body";
    }

    try
    {
        var p = classifier.Predict(bytes, name);
        return Results.Ok(new
        {
            label = p.Label,
            confidence = p.Confidence,
            scores = p.Scores.Select(s => new { label = s.Key, score = s.Value }),
        });
    }
    catch (ImageDecodeException ex)
    {
        return Results.BadRequest(new { error = ex.Message });
    }
});

app.Run();
