// GET /generate?prime=ROMEO:&length=500&temperature=0.8&seed=1 streams text/plain as it is generated.
// GET /health reports whether the engine is built and its device computes.
// The engine is built once at start-up (AddCharRnn's warm-up) and shared; each request gets its own Generator from
// IGeneratorFactory, which AddCharRnn binds to a GenerationScheduler: concurrent requests run in one shared batch.
// Spans (the engine build, ASP.NET Core requests) and metrics go to the console through OpenTelemetry.
using CharRnn.Inference;
using CharRnn.Inference.Cuda;
using CharRnn.Inference.Diagnostics;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Hosting;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Serving;
using CharRnn.Inference.TensorRT;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

const int MaxLength = 10_000;

var builder = WebApplication.CreateBuilder(args);
builder.Services
    // Auto uses CUDA where a driver, a GPU and NVRTC are present, else the CPU. TensorRT is never Auto's pick: it runs
    // only when the configuration names it ("CharRnn:Backend": "TensorRT").
    .AddCharRnnBackend(new CudaBackendProvider())
    .AddCharRnnBackend(new TensorRtBackendProvider())
    .AddCharRnn(options => builder.Configuration.GetSection("CharRnn").Bind(options));
builder.Services.AddHealthChecks().AddCharRnnHealthCheck();
builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddSource(CharRnnTelemetry.ActivitySourceName).AddSource("Microsoft.AspNetCore").AddConsoleExporter())
    .WithMetrics(metrics => metrics.AddMeter(CharRnnTelemetry.MeterName).AddConsoleExporter());
var app = builder.Build();

app.MapHealthChecks("/health");

app.MapGet("/generate", async (HttpContext http, IGeneratorFactory generators, string? prime, int? length, float? temperature, ulong? seed) =>
{
    prime = string.IsNullOrEmpty(prime) ? "ROMEO:" : prime;
    int count = length ?? 500;
    if (count is < 0 or > MaxLength)
    {
        http.Response.StatusCode = StatusCodes.Status400BadRequest;
        await http.Response.WriteAsync($"length must be between 0 and {MaxLength}.\n");
        return;
    }
    using var generator = generators.CreateGenerator(new GeneratorOptions
    {
        Sampling = new SamplingOptions { Temperature = temperature ?? 0.8f },
        Seed = seed ?? (ulong)Random.Shared.NextInt64(),
    });
    try
    {
        await generator.PrimeAsync(prime, http.RequestAborted);
    }
    catch (VocabularyException e)
    {
        http.Response.StatusCode = StatusCodes.Status400BadRequest;
        await http.Response.WriteAsync(e.Message + "\n");
        return;
    }
    catch (SchedulerFullException e)
    {
        // Every stream is busy and the queue is full: ask the client to come back.
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = "1";
        await http.Response.WriteAsync(e.Message + "\n");
        return;
    }

    http.Response.ContentType = "text/plain; charset=utf-8";
    await http.Response.WriteAsync(prime, http.RequestAborted);
    // A client that disconnects cancels RequestAborted: generation stops after the current chunk.
    await foreach (string chunk in generator.GenerateAsync(count, http.RequestAborted))
    {
        await http.Response.WriteAsync(chunk, http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }
});

// GET /status: the shared batch's occupancy and the managed heap after a full collection (what a load test watches for
// leaks: both must come back to their idle values once the clients are gone).
app.MapGet("/status", (GenerationScheduler scheduler) =>
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    return Results.Json(new
    {
        backend = scheduler.Engine.Backend.ToString(),
        activeStreams = scheduler.ActiveStreams,
        queuedRequests = scheduler.QueuedRequests,
        managedBytes = GC.GetTotalMemory(forceFullCollection: true),
    });
});

app.Run();
