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
// --tiles 1|2 forces the many-stream path's small or large tiles; --precision fp32|tf32|both picks the many-stream path's
// arithmetic, CudaPrecision, default both: one engine each, measured one after the other).
var shape = (Layers: 2, Hidden: 512, Embedding: 512);
bool greedyOnly = false;
int? batchMin = null;
int tiles = 0;
CudaPrecision[] precisions = [CudaPrecision.Float32, CudaPrecision.Tf32];
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
    else if (args[i] == "--precision")
    {
        precisions = args[++i] switch
        {
            "fp32" => [CudaPrecision.Float32],
            "tf32" => [CudaPrecision.Tf32],
            "both" => [CudaPrecision.Float32, CudaPrecision.Tf32],
            var other => throw new ArgumentException($"--precision takes fp32, tf32 or both, not '{other}'."),
        };
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
var model = SeededModels.Create(shape.Layers, shape.Hidden, shape.Embedding, seed: 42, scale: 0.08f);
foreach (var precision in precisions)
{
    using var engine = (CudaInferenceEngine)InferenceEngine.Create(model,
        new EngineOptions { Backend = Backend.Cuda, Providers = [new CudaBackendProvider { Precision = precision }] });
    engine.TileChoice = tiles;
    if (batchMin is int min)
    {
        engine.BatchMinStreams = min;
    }
    Console.WriteLine($"# device: {engine.DeviceName}; model {model.Dimensions}; many-stream path {engine.Precision}; {engine.Configuration}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
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
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| CharRnn CUDA {(batch >= engine.BatchMinStreams ? $"tiled {engine.Precision}" : "persistent")} | {name} | {batch} | {steps} | {perStep:F2} | {perStep / batch:F4} | {charsPerSecond:F0} |"));
        }
    }
}
return 0;
