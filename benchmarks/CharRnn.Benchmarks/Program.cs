using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

if (args is ["drift", var text, ..])
{
    CharRnn.Benchmarks.PrecisionDrift.Run(text, args.Length > 2 ? args[2] : null);
    return;
}

// A short in-process job by default: the benchmark machines are small and shared, and an in-process run skips
// BenchmarkDotNet's per-run project build. Command-line job options (--job, --iterationCount, ...) override it.
var job = Job.Default
    .WithLaunchCount(1)
    .WithWarmupCount(2)
    .WithIterationCount(5)
    .WithToolchain(InProcessEmitToolchain.Instance)
    .AsDefault();
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, DefaultConfig.Instance.AddJob(job));
