using System.Numerics.Tensors;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Cpu;

/// <summary>
/// A CPU session whose NaN or infinite logits are reported with the step they appeared at. <see cref="TokenSampler"/>
/// refuses such logits but cannot know the step, so generation runs the inner session one step per call (a CPU step
/// costs far more than the call) and numbers the error; logits handed out by <see cref="EngineSession.Feed"/> (scoring)
/// are checked as they are copied. Not thread-safe, like the session it wraps.
/// </summary>
internal sealed class StepCheckedSession(EngineSession inner) : EngineSession(inner.Dimensions, inner.Streams)
{
    // Characters fed since creation or the last reset: the step numbers of Feed's logits.
    private long _fed;

    protected override void ResetCore()
    {
        inner.Reset();
        _fed = 0;
    }

    protected override void FeedCore(ReadOnlySpan<int> tokens, int steps, Span<float> logitsPerStep)
    {
        inner.Feed(tokens, steps, logitsPerStep);
        int vocab = Dimensions.VocabularySize;
        for (int row = 0; row < logitsPerStep.Length / vocab; row++)
        {
            // TensorPrimitives.Max is NaN when any logit is NaN: one check covers NaN, +infinity and all -infinity.
            if (!float.IsFinite(TensorPrimitives.Max(logitsPerStep.Slice(row * vocab, vocab))))
            {
                throw new NonFiniteLogitsException(_fed + row / Streams, Streams == 1 ? null : row % Streams);
            }
        }
        _fed += steps;
    }

    protected override void GenerateCore(int steps, SamplingOptions sampling, ulong seed, long counter, Span<int> output)
    {
        for (int t = 0; t < steps; t++)
        {
            try
            {
                inner.Generate(1, sampling, seed, counter + t, output.Slice(t * Streams, Streams));
            }
            catch (NonFiniteLogitsException e) when (e.Step is null)
            {
                throw new NonFiniteLogitsException(counter + t, e.Stream);
            }
        }
    }

    protected override void ReadLogitsCore(Span<float> destination) => inner.ReadLogits(destination);

    protected override void SaveStateCore(Span<float> destination) => inner.SaveState(destination);

    // The wrapper's own HasLogits guards every call, so the inner session may always consider itself fed.
    protected override void RestoreStateCore(ReadOnlySpan<float> source) => inner.RestoreState(source, hasLogits: true);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
