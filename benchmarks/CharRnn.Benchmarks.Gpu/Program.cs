using System.Diagnostics;
using System.Globalization;
using CharRnn.Inference.Cuda;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Tests.Cuda;

// GPU harness: our CUDA engine's Generate on the seed shape (2 x 512, embedding 512, vocabulary 65, random weights,
// fixed seed) at several batch sizes. Each measurement is one Generate call, which returns only after the device has
// finished and the ids are on the host (the synchronization is inside the measured region). Warm-up first, then the
// median of several repeats. Usage: CharRnn.Benchmarks.Gpu [--shape LAYERSxHIDDENxEMB] [--greedy-only]
// [--batch-min STREAMS] [batch ...] (default: the seed shape 2x512x512, batches 1 64 1024 4096, greedy and sampled;
// --batch-min moves the engine's switch from the persistent kernel to the many-stream path, to compare the two;
// --tiles 1|2 forces the many-stream path's small or large tiles; --resident-max STREAMS caps the streams that run the
// resident kernel, 0 to measure the persistent kernel instead; --profile builds the resident kernel with cycle counters
// and prints block 0's cycles per step by phase). Batch 1 is also measured through Generator.Generate.
var shape = (Layers: 2, Hidden: 512, Embedding: 512);
bool greedyOnly = false;
int? batchMin = null;
int tiles = 0;
int? residentMax = null;
bool profile = false;
var batchList = new List<int>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--shape")
    {
        int[] parts = [.. args[++i].Split('x').Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
        shape = (parts[0], parts[1], parts[2]);
    }
    else if (args[i] == "--batch-min")
    {
        batchMin = int.Parse(args[++i], CultureInfo.InvariantCulture);
    }
    else if (args[i] == "--tiles")
    {
        tiles = int.Parse(args[++i], CultureInfo.InvariantCulture);
    }
    else if (args[i] == "--resident-max")
    {
        residentMax = int.Parse(args[++i], CultureInfo.InvariantCulture);
    }
    else if (args[i] == "--profile")
    {
        profile = true;
    }
    else if (args[i] == "--greedy-only")
    {
        greedyOnly = true;
    }
    else
    {
        batchList.Add(int.Parse(args[i], CultureInfo.InvariantCulture));
    }
}
int[] batches = batchList.Count > 0 ? [.. batchList] : [1, 64, 1024, 4096];
var provider = new CudaBackendProvider();
if (!provider.IsAvailable(out string reason, out var diagnostics))
{
    Console.Error.WriteLine($"CUDA unavailable: {reason} ({string.Join("; ", diagnostics)})");
    return 1;
}
if (profile)
{
    // Block 0 of the resident kernel counts its cycles per phase (Kernels/lstm_resident.cu, RES_PROFILE).
    CudaInferenceEngine.ExtraCompilerDefines = ["-DRES_PROFILE"];
}
var model = SeededModels.Create(shape.Layers, shape.Hidden, shape.Embedding, seed: 42, scale: 0.08f);
using var engine = (CudaInferenceEngine)InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cuda, Providers = [provider] });
engine.TileChoice = tiles;
if (batchMin is int min)
{
    engine.BatchMinStreams = min;
}
if (residentMax is int cap)
{
    engine.ResidentMaxStreams = cap;
}
Console.WriteLine($"# device: {engine.DeviceName}; model {model.Dimensions}; {engine.Configuration}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine("| engine | sampling | batch | steps | us/step | us/char | chars/s |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
var sampled = new SamplingOptions { Temperature = 0.8f, TopK = 20, TopP = 0.95f };
foreach (int batch in batches)
{
    foreach (var (name, sampling) in new[] { ("greedy", SamplingOptions.Greedy), ("T0.8 k20 p0.95", sampled) })
    {
        if (greedyOnly && !sampling.IsGreedy)
        {
            continue;
        }
        int steps = batch switch { 1 => 2000, <= 64 => 1000, <= 1024 => 200, _ => 60 };
        using var session = engine.CreateSession(batch);
        var prime = new int[batch];
        for (int s = 0; s < batch; s++)
        {
            prime[s] = s % model.Dimensions.VocabularySize;
        }
        session.Feed(prime, 1);
        var output = new int[steps * batch];
        session.Generate(Math.Min(steps, 50), sampling, 1, 0, output.AsSpan(0, Math.Min(steps, 50) * batch));
        var times = new List<double>();
        long counter = 0;
        for (int r = 0; r < 7; r++)
        {
            var watch = Stopwatch.StartNew();
            session.Generate(steps, sampling, 1, counter, output);
            times.Add(watch.Elapsed.TotalMicroseconds);
            counter += steps;
        }
        times.Sort();
        double median = times[times.Count / 2];
        double perStep = median / steps;
        double charsPerSecond = (double)steps * batch / (median * 1e-6);
        if (profile && session is CudaEngineSession { ResidentPath: true } resident)
        {
            long[] cycles = resident.ReadResidentProfile();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#   block 0 cycles per step by phase [sample+layer0 cell, gather0, layer1 cell, gather1, .., projection]: {string.Join(" ", cycles.Select(c => (c / (double)steps).ToString("F0", CultureInfo.InvariantCulture)))}; total {cycles.Sum() / (double)steps:F0}"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| CharRnn CUDA {Path(batch)} | {name} | {batch} | {steps} | {perStep:F2} | {perStep / batch:F4} | {charsPerSecond:F0} |"));
    }
}
// The public API end to end at batch 1: Generator.Generate(n) returns the decoded string.
foreach (var (name, sampling) in new[] { ("greedy", SamplingOptions.Greedy), ("T0.8 k20 p0.95", sampled) })
{
    if (greedyOnly && !sampling.IsGreedy)
    {
        continue;
    }
    const int length = 2000;
    using var generator = engine.CreateGenerator(new CharRnn.Inference.Generation.GeneratorOptions { Sampling = sampling, Seed = 1, ChunkSize = length });
    generator.Prime("ROMEO:");
    generator.Generate(50);
    var times = new List<double>();
    for (int r = 0; r < 7; r++)
    {
        var watch = Stopwatch.StartNew();
        generator.Generate(length);
        times.Add(watch.Elapsed.TotalMicroseconds);
    }
    times.Sort();
    double perChar = times[times.Count / 2] / length;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| Generator.Generate({length}), {Path(1)} | {name} | 1 | {length} | {perChar:F2} | {perChar:F4} | {1e6 / perChar:F0} |"));
}
return 0;

string Path(int batch) => batch >= engine.BatchMinStreams ? "tiled" : batch <= engine.ResidentMaxStreams ? "resident" : "persistent";
