using System.CommandLine;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using CharRnn.Inference.Engine;

namespace CharRnn.Cli;

/// <summary>
/// <c>charrnn doctor</c>: what this machine offers each backend - the runtime, the CPU's SIMD, every GPU provider's
/// availability with its load trace and details - and the backend <c>--backend auto</c> would pick. A report: it exits 0
/// whatever it finds.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("doctor", "Report the runtime, the CPU, every GPU backend (available or not, and why, with the library-load trace) and which backend --backend auto would pick.");
        command.SetAction(_ =>
        {
            Write(console.Out, BackendProviders.All());
            console.Out.Flush();
            return CliApplication.ExitOk;
        });
        return command;
    }

    /// <summary>Writes the report for <paramref name="providers"/> (in <see cref="Backend.Auto"/>'s order of preference).</summary>
    public static void Write(TextWriter output, IReadOnlyList<IBackendProvider> providers)
    {
        output.WriteLine($"runtime: {RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})");
        output.WriteLine($"os: {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture}, process {RuntimeInformation.ProcessArchitecture})");
        output.WriteLine($"cpu: {Environment.ProcessorCount} threads, SIMD {Vector<float>.Count * 32} bits (Vector<float> {Vector<float>.Count} lanes), {SimdFeatures()}");
        output.WriteLine("backends:");
        output.WriteLine("  Cpu: available (managed SIMD; always)");
        Backend? pick = null;
        string? pickReason = null;
        var skipped = new List<string>();
        foreach (var provider in providers)
        {
            bool available = Probe(provider, out string reason, out var trace);
            string namedOnly = provider.IsAutoCandidate ? "" : $" (only when named: --backend {provider.Backend.ToString().ToLowerInvariant()})";
            output.WriteLine(available ? $"  {provider.Backend}: available{namedOnly}" : $"  {provider.Backend}: unavailable: {reason}{namedOnly}");
            foreach (string line in trace)
            {
                output.WriteLine($"    trace: {line}");
            }
            if (provider is IBackendDiagnostics diagnostics)
            {
                foreach (var (name, value) in Describe(diagnostics))
                {
                    output.WriteLine($"    {name}: {value}");
                }
            }
            if (!provider.IsAutoCandidate)
            {
                continue;
            }
            if (available && pick is null)
            {
                pick = provider.Backend;
                pickReason = skipped.Count == 0 ? "the first provider, and available" : $"available ({string.Join(", ", skipped)} not)";
            }
            else if (!available)
            {
                skipped.Add(provider.Backend.ToString());
            }
        }
        output.WriteLine(pick is { } backend
            ? $"auto: {backend} ({pickReason})"
            : $"auto: Cpu ({(skipped.Count == 0 ? "no GPU backend configured" : $"no GPU backend available: {string.Join(", ", skipped)} unavailable")})");
    }

    private static string SimdFeatures()
    {
        var features = new List<string>();
        if (Vector512.IsHardwareAccelerated) features.Add("Vector512");
        if (Vector256.IsHardwareAccelerated) features.Add("Vector256");
        if (Vector128.IsHardwareAccelerated) features.Add("Vector128");
        if (Avx512F.IsSupported) features.Add("AVX-512F");
        if (Avx2.IsSupported) features.Add("AVX2");
        if (Fma.IsSupported) features.Add("FMA");
        if (AdvSimd.IsSupported) features.Add("AdvSIMD");
        return features.Count == 0 ? "no hardware SIMD" : string.Join(" ", features);
    }

    // A provider that throws while probing is reported, not fatal: the report is most needed when something is broken.
#pragma warning disable CA1031
    private static bool Probe(IBackendProvider provider, out string reason, out IReadOnlyList<string> trace)
    {
        try
        {
            return provider.IsAvailable(out reason, out trace);
        }
        catch (Exception e)
        {
            reason = $"the availability check threw {e.GetType().Name}: {e.Message}";
            trace = [];
            return false;
        }
    }

    private static IReadOnlyList<KeyValuePair<string, string>> Describe(IBackendDiagnostics diagnostics)
    {
        try
        {
            return diagnostics.Describe();
        }
        catch (Exception e)
        {
            return [new("details", $"unreadable: {e.GetType().Name}: {e.Message}")];
        }
    }
#pragma warning restore CA1031
}
