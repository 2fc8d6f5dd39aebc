using System.Diagnostics;
using System.Globalization;
using CharRnn.Inference.Cuda;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Tests.Cuda;

// GPU harness: our CUDA engine's Generate on the seed shape (2 x 512, embedding 512, vocabulary 65, random weights,
// fixed seed) at several batch sizes. Each measurement is one Generate call, which returns only after the device has
// finished and the ids are on the host (the synchronization is inside the measured region). Warm-up first, then the
// median of several repeats. Usage: CharRnn.Benchmarks.Gpu [--shape LAYERSxHIDDENxEMB] [--greedy-only]
// [--batch-min STREAMS] [--tiles 1|2] [--precision fp32|tf32|fp16|bf16|both|all|LIST] [--resident-max STREAMS] [--profile]
// [--define -DNAME[=VALUE] ...] [--tc-tile INDEX] [--fc-tile INDEX] [--fused-min STREAMS] [--feed] [--no-pdl] [--no-fc32] [--no-early] [batch ...]
// (default: the seed shape 2x512x512, batches 1 64 1024 4096, greedy and sampled, fp32 and tf32).
// --batch-min moves the engine's switch from one launch per call to the many-stream path, to compare the two;
// --tiles forces the many-stream path's small or large tiles; --precision picks the many-stream path's arithmetic
// (CudaPrecision; both = fp32,tf32; all = fp32,tf32,fp16,bf16; or a comma-separated list; one engine each, measured one
// after the other; batches below the many-stream path are measured once);
// --resident-max caps the streams that run the resident kernel (0: the persistent kernel instead); --profile builds
// the resident kernel with cycle counters and prints block 0's cycles per step by phase; --define passes a preprocessor
// definition to NVRTC (kernel experiments, e.g. -DRES_LOGIT_STRIDE=1); --tc-tile forces the tensor-core path's layer
// tile (0 = 128 x 128, 1 = 64 x 128, 2 = 32 x 64, 3 = 32 x 32, 4 = 128 x 128 wgmma, 5 = 64 x 128 wgmma, sm_90a with 16-bit operands only);
// --fc-tile forces the greedy projection of fused greedy steps (0 = 16 rows with a ring of 4, 1 = 32 rows
// with a ring of 4, 2 and 3 = the deep rings of 16 and 32 rows, where the device's shared memory holds them);
// --fused-min moves the fewest streams whose greedy steps sample in the projection where the layers do not run early
// (TensorCoreKernels.GreedyProjectionMinStreams);
// --feed also measures Feed (no logits) at each batch;
// --no-pdl launches the tensor-core kernels without programmatic dependent launch (to measure what the overlap gains);
// --no-fc32 leaves out the 32-row deep-ring greedy projection (TensorCoreKernels.GreedyProjection).
// --no-early keeps every layer's products behind its wait for the previous kernel (TensorCoreKernels.RunsEarly).
// Batch 1 is also measured through Generator.Generate (the public API end to end).
var shape = (Layers: 2, Hidden: 512, Embedding: 512);
bool greedyOnly = false;
bool feed = false;
int? batchMin = null;
int tiles = 0;
int? residentMax = null;
bool profile = false;
int? tensorCoreTile = null;
int? greedyProjection = null;
int? fusedMin = null;
bool programmaticLaunch = true;
bool projection32 = true;
bool earlyProducts = true;
var defines = new List<string>();
CudaPrecision[] precisions = [CudaPrecision.Float32, CudaPrecision.Tf32];
var batchList = new List<int>();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--shape":
            int[] parts = [.. args[++i].Split('x').Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
            shape = (parts[0], parts[1], parts[2]);
            break;
        case "--batch-min":
            batchMin = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--tiles":
            tiles = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--resident-max":
            residentMax = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--profile":
            profile = true;
            break;
        case "--tc-tile":
            tensorCoreTile = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--fc-tile":
            greedyProjection = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--fused-min":
            fusedMin = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--no-pdl":
            programmaticLaunch = false;
            break;
        case "--no-early":
            earlyProducts = false;
            break;
        case "--no-fc32":
            projection32 = false;
            break;
        case "--define":
            defines.Add(args[++i]);
            break;
        case "--precision":
            precisions = args[++i] switch
            {
                "both" => [CudaPrecision.Float32, CudaPrecision.Tf32],
                "all" => [CudaPrecision.Float32, CudaPrecision.Tf32, CudaPrecision.Float16, CudaPrecision.BFloat16],
                var list => [.. list.Split(',').Select(name => name switch
                {
                    "fp32" => CudaPrecision.Float32,
                    "tf32" => CudaPrecision.Tf32,
                    "fp16" => CudaPrecision.Float16,
                    "bf16" => CudaPrecision.BFloat16,
                    var other => throw new ArgumentException($"--precision takes fp32, tf32, fp16, bf16 (or a comma-separated list of them), both or all, not '{other}'."),
                })],
            };
            break;
        case "--feed":
            feed = true;
            break;
        case "--greedy-only":
            greedyOnly = true;
            break;
        default:
            batchList.Add(int.Parse(args[i], CultureInfo.InvariantCulture));
            break;
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
    defines.Add("-DRES_PROFILE");
}
CudaInferenceEngine.ExtraCompilerDefines = defines;
var model = SeededModels.Create(shape.Layers, shape.Hidden, shape.Embedding, seed: 42, scale: 0.08f);
var sampled = new SamplingOptions { Temperature = 0.8f, TopK = 20, TopP = 0.95f };
var samplings = new[] { ("greedy", SamplingOptions.Greedy), ("T0.8 k20 p0.95", sampled) }.Where(s => !greedyOnly || s.Item2.IsGreedy).ToArray();
for (int pi = 0; pi < precisions.Length; pi++)
{
    var precision = precisions[pi];
    using var engine = (CudaInferenceEngine)InferenceEngine.Create(model,
        new EngineOptions { Backend = Backend.Cuda, Providers = [new CudaBackendProvider { Precision = precision }] });
    engine.TileChoice = tiles;
    engine.ProgrammaticLaunch &= programmaticLaunch;
    if (engine.TensorCores is { } tensorCores)
    {
        tensorCores.ForcedLayerTile = tensorCoreTile;
        tensorCores.ForcedGreedyProjection = greedyProjection;
        if (fusedMin is int fewest)
        {
            SetFusedGreedyMinStreams(tensorCores, fewest);
        }
        tensorCores.UseGreedyProjection32 = projection32;
        tensorCores.UseEarlyProducts = earlyProducts;
    }
    if (batchMin is int min)
    {
        engine.BatchMinStreams = min;
    }
    if (residentMax is int cap)
    {
        engine.ResidentMaxStreams = cap;
    }
    Console.WriteLine($"# device: {engine.DeviceName}; model {model.Dimensions}; many-stream path {engine.Precision}, tile {(tensorCoreTile?.ToString(CultureInfo.InvariantCulture) ?? "auto")}, greedy projection {(greedyProjection?.ToString(CultureInfo.InvariantCulture) ?? "auto")}, programmatic launch {engine.ProgrammaticLaunch}, 32-row projection {projection32}, early products {earlyProducts}; defines [{string.Join(' ', defines)}]; {engine.Configuration}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    Console.WriteLine("| engine | sampling | batch | steps | us/step | us/char | chars/s |");
    Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
    // Precision changes only the many-stream path: smaller batches are measured with the first engine only.
    foreach (int batch in batches.Where(b => pi == 0 || b >= engine.BatchMinStreams))
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
            if (profile && session is CudaEngineSession { ResidentPath: true } resident)
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
        if (feed)
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
    if (pi == 0 && batches.Contains(1))
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
