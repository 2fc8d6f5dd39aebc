using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using CharRnn.Inference.Cuda;

namespace CharRnn.Benchmarks.Gpu;

/// <summary>What one run of the GPU harness measures, and the engine knobs it turns (all default to the engine's own choice).</summary>
internal sealed record BenchmarkOptions(
    (int Layers, int Hidden, int Embedding) Shape,
    IReadOnlyList<CudaPrecision> Precisions,
    IReadOnlyList<int> Batches,
    bool GreedyOnly,
    bool Feed,
    int? BatchMin,
    int Tiles,
    int? ResidentMax,
    bool Profile,
    IReadOnlyList<string> Defines,
    int? TensorCoreTile,
    int? GreedyProjection,
    int? FusedMin,
    bool ProgrammaticLaunch,
    bool Projection32,
    bool EarlyProducts)
{
    /// <summary>The harness's command line (System.CommandLine), which hands the parsed options to <paramref name="run"/>.</summary>
    public static RootCommand Command(Func<BenchmarkOptions, int> run)
    {
        var shape = new Option<(int, int, int)>("--shape")
        {
            Description = "The model: layers x hidden units x embedding width (random weights, vocabulary 65).",
            HelpName = "LAYERSxHIDDENxEMB",
            DefaultValueFactory = _ => (2, 512, 512),
            CustomParser = ParseShape,
        };
        var precision = new Option<CudaPrecision[]>("--precision")
        {
            Description = "The many-stream path's arithmetic (CudaPrecision), one engine each, measured one after the other: fp32, tf32, fp16, bf16, a comma-separated list of them, both (fp32,tf32) or all. Batches below the many-stream path are measured with the first only.",
            HelpName = "LIST",
            DefaultValueFactory = _ => [CudaPrecision.Float32, CudaPrecision.Tf32],
            CustomParser = ParsePrecisions,
        };
        var greedyOnly = new Option<bool>("--greedy-only") { Description = "Measure greedy generation only (else also sampled: T 0.8, top-k 20, top-p 0.95)." };
        var feed = new Option<bool>("--feed") { Description = "Also measure Feed (no logits) at each batch." };
        var batchMin = new Option<int?>("--batch-min") { Description = "The fewest streams that take the many-stream path (CudaInferenceEngine.BatchMinStreams), to compare it with one launch per call.", HelpName = "STREAMS" };
        var tiles = new Option<int>("--tiles") { Description = "The float32 many-stream path's tiles: 0 by batch, 1 small, 2 large.", HelpName = "0|1|2" };
        tiles.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 0 or > 2) r.AddError("--tiles takes 0 (by batch), 1 (small) or 2 (large)."); });
        var residentMax = new Option<int?>("--resident-max") { Description = "The most streams that run the resident kernel (0: the persistent kernel instead).", HelpName = "STREAMS" };
        var profile = new Option<bool>("--profile") { Description = "Build the resident kernel with cycle counters and print block 0's cycles per step by phase." };
        var define = new Option<string[]>("--define")
        {
            Description = "A preprocessor definition for NVRTC, for kernel experiments (e.g. --define -DRES_LOGIT_STRIDE=1); repeatable.",
            HelpName = "-DNAME[=VALUE]",
        };
        var tcTile = new Option<int?>("--tc-tile")
        {
            Description = "Force the tensor-core path's layer tile (TensorCoreKernels.ForcedLayerTile): 0-3 the mma.sync tiles (128 x 128, 64 x 128, 32 x 64, 32 x 32); on sm_90a 4 the 128 x 128 wgmma tile (ring of 3), 5 and 6 the 64 x 128 one (rings of 4 and 8), 7 the 128 x 128 one with a ring of 6.",
            HelpName = "INDEX",
        };
        var fcTile = new Option<int?>("--fc-tile")
        {
            Description = "Force the greedy projection of fused greedy steps: 0 and 1 16 and 32 rows with a ring of 4, 2 and 3 the deep rings of 16 and 32 rows (where the device's shared memory holds them).",
            HelpName = "INDEX",
        };
        var fusedMin = new Option<int?>("--fused-min") { Description = "The fewest streams whose greedy steps sample in the projection where the layers do not run early (TensorCoreKernels.GreedyProjectionMinStreams).", HelpName = "STREAMS" };
        var noPdl = new Option<bool>("--no-pdl") { Description = "Launch the tensor-core kernels without programmatic dependent launch (to measure what the overlap gains)." };
        var noFc32 = new Option<bool>("--no-fc32") { Description = "Leave out the 32-row deep-ring greedy projection." };
        var noEarly = new Option<bool>("--no-early") { Description = "Keep every layer's products behind its wait for the previous kernel (TensorCoreKernels.RunsEarly)." };
        var batches = new Argument<int[]>("batch")
        {
            Description = "Streams per session to measure (default: 1 64 1024 4096).",
            Arity = ArgumentArity.ZeroOrMore,
            DefaultValueFactory = _ => [1, 64, 1024, 4096],
        };
        batches.Validators.Add(r => { if (r.GetValueOrDefault<int[]>()?.Any(b => b < 1) == true) r.AddError("Every batch must be at least 1 stream."); });

        var command = new RootCommand(
            "GPU harness: the CUDA engine's Generate at several batch sizes (one call per measurement, synchronized inside "
            + "the measured region; warm-up, then the median of 7). Batch 1 is also measured through Generator.Generate.")
        {
            shape, precision, greedyOnly, feed, batchMin, tiles, residentMax, profile, define, tcTile, fcTile, fusedMin,
            noPdl, noFc32, noEarly, batches,
        };
        command.SetAction(parsed => run(new BenchmarkOptions(
            parsed.GetValue(shape),
            parsed.GetValue(precision)!,
            parsed.GetValue(batches)!,
            parsed.GetValue(greedyOnly),
            parsed.GetValue(feed),
            parsed.GetValue(batchMin),
            parsed.GetValue(tiles),
            parsed.GetValue(residentMax),
            parsed.GetValue(profile),
            parsed.GetValue(define) ?? [],
            parsed.GetValue(tcTile),
            parsed.GetValue(fcTile),
            parsed.GetValue(fusedMin),
            ProgrammaticLaunch: !parsed.GetValue(noPdl),
            Projection32: !parsed.GetValue(noFc32),
            EarlyProducts: !parsed.GetValue(noEarly))));
        return command;
    }

    private static (int, int, int) ParseShape(ArgumentResult result)
    {
        string text = result.Tokens[0].Value;
        string[] parts = text.Split('x');
        var sizes = new int[parts.Length];
        if (parts.Length != 3 || !parts.Select((p, i) => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) && sizes[i] > 0).All(ok => ok))
        {
            result.AddError($"--shape takes LAYERSxHIDDENxEMB with three positive integers, such as 2x512x512, not '{text}'.");
            return default;
        }
        return (sizes[0], sizes[1], sizes[2]);
    }

    private static CudaPrecision[] ParsePrecisions(ArgumentResult result)
    {
        string text = result.Tokens[0].Value;
        switch (text)
        {
            case "both":
                return [CudaPrecision.Float32, CudaPrecision.Tf32];
            case "all":
                return [CudaPrecision.Float32, CudaPrecision.Tf32, CudaPrecision.Float16, CudaPrecision.BFloat16];
        }
        var precisions = new List<CudaPrecision>();
        foreach (string name in text.Split(','))
        {
            CudaPrecision? precision = name switch
            {
                "fp32" => CudaPrecision.Float32,
                "tf32" => CudaPrecision.Tf32,
                "fp16" => CudaPrecision.Float16,
                "bf16" => CudaPrecision.BFloat16,
                _ => null,
            };
            if (precision is null)
            {
                result.AddError($"--precision takes fp32, tf32, fp16, bf16 (or a comma-separated list of them), both or all, not '{name}'.");
                return [];
            }
            precisions.Add(precision.Value);
        }
        return [.. precisions];
    }
}
