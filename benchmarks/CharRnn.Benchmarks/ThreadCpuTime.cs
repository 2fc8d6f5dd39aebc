using System.Diagnostics;
using System.Runtime.InteropServices;
using CharRnn.Benchmarks.Onnx;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.Cpu;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;

namespace CharRnn.Benchmarks;

/// <summary>
/// <c>CharRnn.Benchmarks cputime</c>: the same contenders as <see cref="CpuPeerBenchmarks"/> on one thread (run it with
/// <c>DOTNET_PROCESSOR_COUNT=1</c> so that our engine keeps to the calling thread; ONNX Runtime gets one intra-op
/// thread), timed by the thread's own CPU clock as well as the wall clock. On a machine shared with other jobs the CPU
/// clock leaves out the time the thread waited for a core, so it is the steadier measure of the code's own cost.
/// Linux only (clock_gettime).
/// </summary>
internal static partial class ThreadCpuTime
{
    public static void Run()
    {
        if (Environment.ProcessorCount != 1)
        {
            Console.Error.WriteLine("Run with DOTNET_PROCESSOR_COUNT=1 so that the CPU engine uses the calling thread alone.");
            return;
        }
        var model = SeedModel.Create();
        var network = TfToTrtWeightConverter.Convert(model);
        KernelAlone(network);
        foreach (int batch in new[] { 1, 64 })
        {
            int steps = batch == 1 ? 2000 : 100;
            foreach (var precision in new[] { CpuPrecision.Float32, CpuPrecision.BFloat16 })
            {
                using var engine = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu, Cpu = new CpuEngineOptions { Precision = precision } });
                using var session = engine.CreateSession(batch);
                session.Feed(new int[batch], 1);
                var output = new int[batch];
                Report($"batch {batch}, ours {precision}", batch, steps, () => session.Generate(1, SamplingOptions.Greedy, 0, 0, output));
            }
            using var ort = new OnnxRuntimeStepper(network, batch, threads: 1);
            Report($"batch {batch}, ONNX Runtime {OnnxRuntimeStepper.Version}", batch, steps, ort.Step);
        }
    }

    // GateKernel on layer 1 (2048 rows x 1024 columns) for 63 streams without the cell: multiply-adds per second.
    private static void KernelAlone(NetworkWeights network)
    {
        foreach (var precision in new[] { CpuPrecision.Float32, CpuPrecision.BFloat16 })
        {
            var packed = new PackedNetwork(network, Layer0InputTable.Compute(network), precision);
            const int Streams = 63;
            int padded = packed.PaddedHidden;
            var rng = new Random(1);
            float[] x = [.. Enumerable.Range(0, Streams * padded).Select(_ => (float)rng.NextDouble())];
            var job = new KernelJob
            {
                Weights = packed.Layers[1], XA = x, DepthA = padded, XB = x, XStride = padded, Init = packed.Bias[1],
                Out = new float[Streams * 4 * padded], OutStride = 4 * padded, GroupStride = padded, PanelStride = packed.Lanes,
            };
            var none = default(NoCell);
            long macs = (long)Streams * packed.Layers[1].Panels * 4 * packed.Lanes * packed.Layers[1].Depth;
            Report($"kernel alone, layer 1, 63 streams, {precision}", 1, 20, () => GateKernel.Run(in job, 0, job.Weights.Panels, Streams, ref none), macs);
            if (precision == CpuPrecision.Float32)
            {
                var cell = new CellEpilogue(job.Out, new float[Streams * padded], new float[Streams * padded], padded);
                Report("cell alone, 64 panels x 63 streams", 1, 20, () =>
                {
                    for (int b = 0; b < job.Weights.Panels; b++)
                    {
                        for (int s = 0; s < Streams; s++) cell.Finish(b, s);
                    }
                });
            }
        }
    }

    private struct NoCell : IPanelEpilogue
    {
        public readonly void Finish(int panel, int stream)
        {
        }
    }

    private static void Report(string name, int batch, int steps, Action step, long macs = 0)
    {
        for (int t = 0; t < steps / 4; t++) step();
        var cpu = new List<double>();
        var wall = new List<double>();
        for (int round = 0; round < 5; round++)
        {
            long w0 = Stopwatch.GetTimestamp();
            double c0 = Now();
            for (int t = 0; t < steps; t++) step();
            cpu.Add((Now() - c0) / steps / batch * 1e6);
            wall.Add(Stopwatch.GetElapsedTime(w0).TotalSeconds / steps / batch * 1e6);
        }
        cpu.Sort();
        wall.Sort();
        string rate = macs == 0 ? "" : $"  ({macs / (cpu[0] * 1e-6) / 1e9:F1} G multiply-adds/s on the thread's best round)";
        Console.WriteLine($"{name,-48} thread CPU us/char: median {cpu[2],8:F2}  min {cpu[0],8:F2}   wall: median {wall[2],8:F2}  min {wall[0],8:F2}{rate}");
    }

    private static double Now()
    {
        const int ClockThreadCpuTime = 3;
        clock_gettime(ClockThreadCpuTime, out var ts);
        return ts.Seconds + ts.Nanoseconds * 1e-9;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // int clock_gettime(clockid_t clockid, struct timespec *tp);
    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int clock_gettime(int clock, out TimeSpec time);
}
