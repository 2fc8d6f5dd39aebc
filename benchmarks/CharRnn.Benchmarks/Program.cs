using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

if (args is ["drift", var text, ..])
{
    CharRnn.Benchmarks.PrecisionDrift.Run(text, args.Length > 2 ? args[2] : null);
    return;
}

if (args is ["cputime", ..])
{
    CharRnn.Benchmarks.ThreadCpuTime.Run();
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
// Median and minimum beside the mean: on a shared machine other jobs only ever add time, so the low end of the spread is
// the closest to the code's own speed.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args,
    DefaultConfig.Instance.AddJob(job).AddColumn(StatisticColumn.Median, StatisticColumn.Min));
