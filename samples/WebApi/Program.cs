// POST an image (raw body, or a multipart form with one file) to /predict and get JSON predictions; or open / in a
// browser and drop an image on the page.
// The model path comes from configuration: appsettings.json "Model:Path", env Model__Path, or --Model:Path=...
// Limits (all optional, see UploadLimits): Predict:MaxImageBytes, Predict:MaxActive, Predict:MaxQueued,
// Predict:TimeoutSeconds, Predict:MaxFormParts.
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Samples.WebApi;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Models;

// appsettings.json (log levels, limits) from beside the app, whatever folder it is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// One line per log message: a client error is one warning line, never a stack trace.
builder.Logging.AddSimpleConsole(options => options.SingleLine = true);

UploadLimits limits;
string modelPath;
try
{
    limits = UploadLimits.From(builder.Configuration);
    var configured = builder.Configuration["Model:Path"];
    if (string.IsNullOrWhiteSpace(configured))
    {
        throw new WorkbenchException("set Model:Path (appsettings.json, env Model__Path or --Model:Path=model.zip)");
    }

    modelPath = ModelFile.Check(configured);
}
catch (WorkbenchException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

builder.WebHost.ConfigureKestrel(kestrel =>
{
    // The body cap is enforced by Kestrel too, so a lying Content-Length or an endless chunked body stops there.
    kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBodyBytes;

    // Kestrel's defaults, stated: a client slower than 240 bytes/s after a 5 s grace is cut off (slowloris),
    // headers must arrive within 10 s, and header floods get 431 before any endpoint runs.
    kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
    kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
    kestrel.Limits.MaxRequestHeaderCount = 64;
    kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
    kestrel.Limits.MaxConcurrentConnections = 512;
});

// One classifier for the whole app: it is thread-safe and pools its prediction engines.
builder.Services.AddImageClassifier(modelPath);
builder.Services.AddSingleton(limits);
builder.Services.AddSingleton(new PredictionGate(limits.MaxActive, limits.MaxQueued));

// Every error answer, ours or the framework's (404, 405, 500), is application/problem+json without a trace.
builder.Services.AddProblemDetails();

var app = builder.Build();
try
{
    // Loaded (and warmed up) before the server listens, so a bad model ends the process with one error line instead
    // of serving 500s.
    app.Services.GetRequiredService<ImageClassifier>();
}
catch (WorkbenchException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapGet("/model", (ImageClassifier model) => Results.Ok(new
{
    pipeline = model.Metadata.PipelineKind,
    trainer = model.Metadata.Trainer,
    classes = model.Classes,
    input = model.Metadata.Input,
    testAccuracy = model.Metadata.Training.TestAccuracy,
}));

// A page for people: choose or drop an image, see the label, the top-5 scores and the features the model looks at.
app.MapGet("/", () => Results.Content(HomePage.Html, "text/html; charset=utf-8"));
app.MapPost("/predict", PredictEndpoint.Handle);

app.Run();
return 0;
