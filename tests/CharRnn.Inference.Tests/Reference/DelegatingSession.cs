using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Tests.Reference;

/// <summary>
/// A session that implements only <see cref="EngineSession"/>'s abstract core, by passing it to another session (as the
/// GPU sessions implement it): the base class's slot methods run on top. Tests derive from it to change one behaviour.
/// </summary>
internal class DelegatingSession(EngineSession inner) : EngineSession(inner.Dimensions, inner.Streams)
{
    protected EngineSession Inner => inner;

    protected override void ResetCore() => inner.Reset();

    protected override void FeedCore(ReadOnlySpan<int> tokens, int steps, Span<float> logitsPerStep) => inner.Feed(tokens, steps, logitsPerStep);

    protected override void GenerateCore(int steps, SamplingOptions sampling, ulong seed, long counter, Span<int> output) =>
        inner.Generate(steps, sampling, seed, counter, output);

    protected override void ReadLogitsCore(Span<float> destination) => inner.ReadLogits(destination);

    protected override void SaveStateCore(Span<float> destination) => inner.SaveState(destination);

    // This session's own HasLogits guards every call, so the inner one may always consider itself fed.
    protected override void RestoreStateCore(ReadOnlySpan<float> source) => inner.RestoreState(source, hasLogits: true);

    protected override void Dispose(bool disposing) => inner.Dispose();
}
