using System.Diagnostics;
using System.Globalization;
using CharRnn.Benchmarks.Gpu;
using CharRnn.Inference.Cuda;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Tests.Cuda;

// GPU harness: our CUDA engine's Generate on a model of random weights (fixed seed; the seed shape 2 x 512, embedding
// 512, vocabulary 65, unless --shape) at several batch sizes. Each measurement is one Generate call, which returns only
// after the device has finished and the ids are on the host (the synchronization is inside the measured region).
// Warm-up first, then the median of several repeats. The options: BenchmarkOptions, or --help.
return BenchmarkOptions.Command(Run).Parse(args).Invoke();

static int Run(BenchmarkOptions options)
{
    var provider = new CudaBackendProvider();
    if (!provider.IsAvailable(out string reason, out var diagnostics))
    {
        Console.Error.WriteLine($"CUDA unavailable: {reason} ({string.Join("; ", diagnostics)})");
        return 1;
    }
    var defines = new List<string>(options.Defines);
    if (options.Profile)
    {
        // Block 0 of the resident kernel counts its cycles per phase (Kernels/lstm_resident.cu, RES_PROFILE).
        defines.Add("-DRES_PROFILE");
    }
    CudaInferenceEngine.ExtraCompilerDefines = defines;
    var model = SeededModels.Create(options.Shape.Layers, options.Shape.Hidden, options.Shape.Embedding, seed: 42, scale: 0.08f);
    var sampled = new SamplingOptions { Temperature = 0.8f, TopK = 20, TopP = 0.95f };
    var samplings = new[] { ("greedy", SamplingOptions.Greedy), ("T0.8 k20 p0.95", sampled) }.Where(s => !options.GreedyOnly || s.Item2.IsGreedy).ToArray();
    for (int pi = 0; pi < options.Precisions.Count; pi++)
    {
        var precision = options.Precisions[pi];
        using var engine = (CudaInferenceEngine)InferenceEngine.Create(model,
            new EngineOptions { Backend = Backend.Cuda, Providers = [new CudaBackendProvider { Precision = precision }] });
        engine.TileChoice = options.Tiles;
        engine.ProgrammaticLaunch &= options.ProgrammaticLaunch;
        if (engine.TensorCores is { } tensorCores)
        {
            tensorCores.ForcedLayerTile = options.TensorCoreTile;
            tensorCores.ForcedGreedyProjection = options.GreedyProjection;
            if (options.FusedMin is int fewest)
            {
                SetFusedGreedyMinStreams(tensorCores, fewest);
            }
            tensorCores.UseGreedyProjection32 = options.Projection32;
            tensorCores.UseEarlyProducts = options.EarlyProducts;
        }
        if (options.BatchMin is int min)
        {
            engine.BatchMinStreams = min;
        }
        if (options.ResidentMax is int cap)
        {
            engine.ResidentMaxStreams = cap;
        }
        Console.WriteLine($"# device: {engine.DeviceName}; model {model.Dimensions}; many-stream path {engine.Precision}, tile {(options.TensorCoreTile?.ToString(CultureInfo.InvariantCulture) ?? "auto")}, greedy projection {(options.GreedyProjection?.ToString(CultureInfo.InvariantCulture) ?? "auto")}, programmatic launch {engine.ProgrammaticLaunch}, 32-row projection {options.Projection32}, early products {options.EarlyProducts}; defines [{string.Join(' ', defines)}]; {engine.Configuration}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine("| engine | sampling | batch | steps | us/step | us/char | chars/s |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        // Precision changes only the many-stream path: smaller batches are measured with the first engine only.
        foreach (int batch in options.Batches.Where(b => pi == 0 || b >= engine.BatchMinStreams))
        {
            foreach (var (name, sampling) in samplings)
            {
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
                if (options.Profile && session is CudaEngineSession { ResidentPath: true } resident)
                {
                    long[] cycles = resident.ReadResidentProfile();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"#   block 0 cycles per step by phase [sample+publish layer 0, gather h0, layer 1 cell, gather h1, layer 1 dot, layer 1 gates+barrier, projection row, logits exchange]: {string.Join(" ", cycles.Select(c => (c / (double)steps).ToString("F0", CultureInfo.InvariantCulture)))}; total {cycles.Sum() / (double)steps:F0}"));
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| CharRnn CUDA {Path(engine, batch)} | {name} | {batch} | {steps} | {perStep:F2} | {perStep / batch:F4} | {charsPerSecond:F0} |"));
                // The last call's tokens, hashed: kernel variants (--define) must draw the same ones.
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#   tokens of the last call: FNV-1a {TokenHash(output):x16}"));
            }
            if (options.Feed)
            {
                int steps = batch switch { <= 64 => 1000, <= 1024 => 200, _ => 60 };
                using var session = engine.CreateSession(batch);
                var tokens = new int[steps * batch];
                for (int i = 0; i < tokens.Length; i++)
                {
                    tokens[i] = (int)((uint)(i * 2654435761u) % (uint)model.Dimensions.VocabularySize);
                }
                session.Feed(tokens.AsSpan(0, Math.Min(steps, 50) * batch), Math.Min(steps, 50));
                var times = new List<double>();
                for (int r = 0; r < 7; r++)
                {
                    var watch = Stopwatch.StartNew();
                    session.Feed(tokens, steps);
                    times.Add(watch.Elapsed.TotalMicroseconds);
                }
                times.Sort();
                double perStep = times[times.Count / 2] / steps;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| CharRnn CUDA {Path(engine, batch)} | feed | {batch} | {steps} | {perStep:F2} | {perStep / batch:F4} | {batch / (perStep * 1e-6):F0} |"));
            }
        }
        if (pi == 0 && options.Batches.Contains(1))
        {
            // The public API end to end at batch 1: Generator.Generate(n) returns the decoded string.
            foreach (var (name, sampling) in samplings)
            {
                const int length = 2000;
                using var generator = engine.CreateGenerator(new GeneratorOptions { Sampling = sampling, Seed = 1, ChunkSize = length });
                generator.Prime("ROMEO:");
                generator.Generate(50);
                var times = new List<double>();
                string text = "";
                for (int r = 0; r < 7; r++)
                {
                    var watch = Stopwatch.StartNew();
                    text = generator.Generate(length);
                    times.Add(watch.Elapsed.TotalMicroseconds);
                }
                times.Sort();
                double perChar = times[times.Count / 2] / length;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| Generator.Generate({length}), {Path(engine, 1)} | {name} | 1 | {length} | {perChar:F2} | {perChar:F4} | {1e6 / perChar:F0} |"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#   text of the last call: FNV-1a {TokenHash([.. text.Select(c => (int)c)]):x16}"));
            }
        }
    }
    return 0;
}

// Apart from the top-level code, so that it runs against an engine assembly without the property (A/B runs swap it).
static void SetFusedGreedyMinStreams(TensorCoreKernels tensorCores, int streams) => tensorCores.FusedGreedyMinStreams = streams;

static ulong TokenHash(int[] tokens)
{
    ulong hash = 14695981039346656037UL;
    foreach (int token in tokens)
    {
        hash = (hash ^ (uint)token) * 1099511628211UL;
    }
    return hash;
}

static string Path(CudaInferenceEngine engine, int batch) =>
    batch >= engine.BatchMinStreams ? $"tiled {engine.Precision}" : batch <= engine.ResidentMaxStreams ? "resident" : "persistent";
