using CharRnn.Inference.Cuda;

namespace CharRnn.Inference.Gpu.Tests;

/// <summary>
/// The GPU fixtures' precondition. Where the CUDA backend is unavailable (CI) the fixtures are not generated at all
/// (<see cref="Fixtures"/> yields none) and <see cref="CudaAvailabilityTests"/> alone is skipped, with the provider's
/// exact reason said once: ignoring each fixture in its [OneTimeSetUp] printed the same reason twice for each of its
/// tests, some 1,400 lines that buried the run's summary.
/// </summary>
internal static class CudaRequirement
{
    private static readonly Lazy<(bool Available, string Reason, IReadOnlyList<string> Diagnostics)> Probe = new(() =>
    {
        bool available = new CudaBackendProvider().IsAvailable(out string reason, out var diagnostics);
        return (available, reason, diagnostics);
    });

    /// <summary>Whether the CUDA backend can run here.</summary>
    public static bool IsAvailable => Probe.Value.Available;

    /// <summary>Why it cannot, with every load attempt.</summary>
    public static string Reason => $"CUDA backend unavailable: {Probe.Value.Reason} ({string.Join("; ", Probe.Value.Diagnostics)})";

    /// <summary>The provider's load trace (where it is available).</summary>
    public static IReadOnlyList<string> Diagnostics => Probe.Value.Diagnostics;

    /// <summary>For [TestFixtureSource]: the fixture once where CUDA can run, none elsewhere.</summary>
    public static IEnumerable<TestFixtureData> Fixtures()
    {
        if (IsAvailable)
        {
            yield return new TestFixtureData();
        }
    }

    /// <summary>For [TestFixtureSource] on <see cref="TensorCoreTests"/>: one fixture per tensor-core precision where CUDA can run.</summary>
    public static IEnumerable<TestFixtureData> TensorCoreFixtures()
    {
        if (IsAvailable)
        {
            yield return new TestFixtureData(CudaPrecision.Tf32);
            yield return new TestFixtureData(CudaPrecision.Float16);
            yield return new TestFixtureData(CudaPrecision.BFloat16);
        }
    }

    /// <summary>Fails the calling fixture unless <paramref name="provider"/> can run (a guard: the fixtures exist only where CUDA does); returns its diagnostics.</summary>
    public static IReadOnlyList<string> IgnoreUnlessAvailable(CudaBackendProvider provider)
    {
        if (!provider.IsAvailable(out string reason, out var diagnostics))
        {
            Assert.Ignore($"CUDA backend unavailable: {reason} ({string.Join("; ", diagnostics)})");
        }
        return diagnostics;
    }
}
