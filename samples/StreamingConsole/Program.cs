// Streams text from the embedded tiny-Shakespeare model as it is generated; Ctrl+C stops between chunks.
// Usage: dotnet run --project samples/StreamingConsole -- [prime] [length]
using CharRnn.Inference.DefaultModel;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Sampling;

string prime = args.Length > 0 ? args[0] : "ROMEO:";
int length = args.Length > 1 && int.TryParse(args[1], out int n) && n >= 0 ? n : 2000;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Keep the process alive: the loop below sees the token, stops after the current chunk and reports.
    e.Cancel = true;
    cancel.Cancel();
};

using var engine = InferenceEngine.Create(TinyShakespeareModel.Instance, new EngineOptions { Backend = Backend.Cpu });
using var generator = engine.CreateGenerator(new GeneratorOptions
{
    Sampling = new SamplingOptions { Temperature = 0.8f, TopK = 20 },
    Seed = (ulong)Environment.TickCount64,
    ChunkSize = 8,
});

generator.Prime(prime);
Console.Write(prime);
try
{
    await foreach (string chunk in generator.GenerateAsync(length, cancel.Token))
    {
        Console.Write(chunk);
    }
    Console.WriteLine();
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.WriteLine();
    Console.Error.WriteLine($"[stopped after {generator.Position - prime.Length} characters]");
}
