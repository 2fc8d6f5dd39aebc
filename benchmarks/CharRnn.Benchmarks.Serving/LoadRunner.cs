using System.Diagnostics;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Serving;

namespace CharRnn.Benchmarks.Serving;

/// <summary>Runs a workload on one path and measures it (a warm-up of the same path first).</summary>
internal static class LoadRunner
{
    public static RunResult Scheduled(InferenceEngine engine, Workload workload, SamplingOptions sampling, int maxStreams)
    {
        using var scheduler = new GenerationScheduler(engine, new SchedulerOptions { MaxStreams = maxStreams, MaxQueuedRequests = workload.Requests.Count });
        Warm(scheduler, sampling);
        return Users(scheduler, workload, sampling);
    }

    public static RunResult Users(IGeneratorFactory generators, Workload workload, SamplingOptions sampling)
    {
        if (generators is InferenceEngine)
        {
            Warm(generators, sampling);
        }
        var firstChar = new double[workload.Requests.Count];
        var clock = Stopwatch.StartNew();
        var tasks = workload.Requests.Select((request, u) => Task.Run(async () =>
        {
            var wait = request.Arrival - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            long arrived = Stopwatch.GetTimestamp();
            using var generator = generators.CreateGenerator(new GeneratorOptions { Sampling = sampling, Seed = request.Seed, ChunkSize = 32 });
            await generator.PrimeAsync(request.Prime);
            bool first = true;
            await foreach (string _ in generator.GenerateAsync(request.Length))
            {
                if (first)
                {
                    firstChar[u] = Stopwatch.GetElapsedTime(arrived).TotalMilliseconds;
                    first = false;
                }
            }
        })).ToArray();
        Task.WaitAll(tasks);
        clock.Stop();
        return RunResult.From(workload.Characters, clock.Elapsed, firstChar);
    }

    // Every stream in lockstep in one session: the most the batch can give, with nobody arriving or leaving.
    public static RunResult Raw(InferenceEngine engine, Workload workload, SamplingOptions sampling)
    {
        int n = workload.Requests.Count;
        int steps = (int)(workload.Characters / n);
        using var session = engine.CreateSession(n);
        var prime = new int[n];
        Array.Fill(prime, engine.Vocabulary.Encode("R")[0]);
        session.Feed(prime, 1);
        var output = new int[Math.Min(steps, 64) * n];
        session.Generate(Math.Min(steps, 64), sampling, 1, 0, output);
        output = new int[steps * n];
        var clock = Stopwatch.StartNew();
        session.Generate(steps, sampling, 1, 64, output);
        clock.Stop();
        return RunResult.From((long)steps * n, clock.Elapsed, []);
    }

    private static void Warm(IGeneratorFactory generators, SamplingOptions sampling)
    {
        using var generator = generators.CreateGenerator(new GeneratorOptions { Sampling = sampling });
        generator.Prime("Warm");
        generator.Generate(64);
    }
}

internal sealed record RunResult(double CharsPerSecond, double FirstCharP50, double FirstCharP99, TimeSpan Wall)
{
    public static RunResult From(long characters, TimeSpan wall, double[] firstChar)
    {
        Array.Sort(firstChar);
        double At(double q) => firstChar.Length == 0 ? double.NaN : firstChar[Math.Min(firstChar.Length - 1, (int)Math.Ceiling(q * firstChar.Length) - 1)];
        return new RunResult(characters / wall.TotalSeconds, At(0.5), At(0.99), wall);
    }
}
