using CharRnn.Inference.Conversion;
using CharRnn.Inference.Cpu;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Tests.Serving;

/// <summary>
/// A CPU engine standing in for a device that breaks: after <see cref="FailAfterSteps"/> more steps of any of its sessions,
/// every step throws, as a GPU engine does after a device error. With <paramref name="skewLogits"/> it also stands in for
/// a device of another precision: same model, other logits, so other text from the same state.
/// </summary>
internal sealed class FailingEngine(NetworkWeights network, Vocabulary vocabulary, bool skewLogits = false) : InferenceEngine(network, vocabulary)
{
    private readonly CpuInferenceEngine _inner = new(network, vocabulary);
    private readonly bool _skewLogits = skewLogits;
    private long _stepsLeft = long.MaxValue;

    public override Backend Backend => Backend.Cpu;

    public override string DeviceName => "failing test device";

    /// <summary>Lets <paramref name="steps"/> more steps run, then fails every later one.</summary>
    public void FailAfterSteps(long steps) => Interlocked.Exchange(ref _stepsLeft, steps);

    protected override EngineSession CreateSessionCore(int streams) => new Session(this, _inner.CreateSession(streams));

    protected override void Dispose(bool disposing) => _inner.Dispose();

    private void CountStep()
    {
        if (Interlocked.Decrement(ref _stepsLeft) < 0)
        {
            throw new InvalidOperationException("Simulated device failure.");
        }
    }

    private sealed class Session(FailingEngine owner, EngineSession inner) : EngineSession(inner.Dimensions, inner.Streams)
    {
        private readonly float[] _state = new float[inner.StateLength];

        protected override void ResetCore() => inner.Reset();

        protected override void FeedCore(ReadOnlySpan<int> tokens, int steps, Span<float> logitsPerStep)
        {
            owner.CountStep();
            inner.Feed(tokens, steps, logitsPerStep);
        }

        protected override void GenerateCore(int steps, SamplingOptions sampling, ulong seed, long counter, Span<int> output)
        {
            owner.CountStep();
            inner.Generate(steps, sampling, seed, counter, output);
        }

        protected override void StepCore(ReadOnlySpan<int> tokens)
        {
            owner.CountStep();
            inner.Step(tokens);
        }

        protected override void ReadLogitsCore(Span<float> destination) => inner.ReadLogits(destination);

        protected override void ReadLogitsCore(Span<float> destination, int streams)
        {
            inner.ReadLogits(destination, streams);
            if (owner._skewLogits)
            {
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] += 3f * (i * 7 % 5);
                }
            }
        }

        protected override void SaveStateCore(Span<float> destination) => inner.SaveState(destination);

        protected override void RestoreStateCore(ReadOnlySpan<float> source)
        {
            source.CopyTo(_state);
            inner.RestoreState(_state, hasLogits: true);
        }

        protected override void SaveStreamCore(int stream, Span<float> destination) => inner.SaveStream(stream, destination);

        protected override void RestoreStreamCore(int stream, ReadOnlySpan<float> source) => inner.RestoreStream(stream, source);

        protected override void CopyStreamCore(int from, int to) => inner.CopyStream(from, to);

        protected override void Dispose(bool disposing) => inner.Dispose();
    }
}
