using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Engine;

/// <summary>
/// The recurrent state of one or more independent streams (h and c of every layer, plus the logits of the last step),
/// held where the engine computes: device memory for GPU engines, never copied to the host between characters.
/// <see cref="Feed"/> and <see cref="Generate"/> advance all streams in lockstep; <see cref="Step"/> and the per-stream
/// methods treat streams as independent slots (what serving many users needs). Not thread-safe: one session per
/// conversation or batch, used by one thread at a time.
/// </summary>
/// <remarks>
/// Public methods validate their arguments and then call the backend's <c>...Core</c> method. Token spans are
/// time-major: element <c>t * Streams + s</c> is stream s at step t.
/// </remarks>
public abstract class EngineSession : IDisposable
{
    private bool _disposed;

    /// <summary>Creates a session for <paramref name="streams"/> streams of a network of these dimensions.</summary>
    protected EngineSession(ModelDimensions dimensions, int streams)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentOutOfRangeException.ThrowIfLessThan(streams, 1);
        Dimensions = dimensions;
        Streams = streams;
    }

    /// <summary>The network's sizes.</summary>
    public ModelDimensions Dimensions { get; }

    /// <summary>Number of independent streams.</summary>
    public int Streams { get; }

    /// <summary>Whether logits exist for the current step (false after <see cref="Reset"/> until something is fed).</summary>
    public bool HasLogits { get; private set; }

    /// <summary>
    /// Number of floats in a saved state: <c>[layer][h, c][stream][hidden]</c> followed by the logits <c>[stream][vocab]</c>.
    /// </summary>
    public int StateLength => Dimensions.LayerCount * 2 * Streams * Dimensions.HiddenSize + Streams * Dimensions.VocabularySize;

    /// <summary>Sets h and c of every stream to zero and forgets the logits.</summary>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ResetCore();
        HasLogits = false;
    }

    /// <summary>
    /// Feeds <paramref name="steps"/> characters to every stream in one call (<paramref name="tokens"/> is
    /// <c>[steps][streams]</c>). When <paramref name="logitsPerStep"/> is not empty it receives the logits after every
    /// step, <c>[steps][streams][vocab]</c>; otherwise only the last step's logits are kept, where the engine computes.
    /// </summary>
    public void Feed(ReadOnlySpan<int> tokens, int steps, Span<float> logitsPerStep = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 0);
        if (tokens.Length != steps * Streams)
        {
            throw new ArgumentException($"Expected {steps} x {Streams} tokens, got {tokens.Length}.", nameof(tokens));
        }
        if (!logitsPerStep.IsEmpty && logitsPerStep.Length != steps * Streams * Dimensions.VocabularySize)
        {
            throw new ArgumentException($"The logits span must hold {steps} x {Streams} x {Dimensions.VocabularySize} floats.", nameof(logitsPerStep));
        }
        CheckTokens(tokens);
        if (steps == 0)
        {
            return;
        }
        FeedCore(tokens, steps, logitsPerStep);
        HasLogits = true;
    }

    /// <summary>
    /// Generates <paramref name="steps"/> characters per stream in one call: each step samples from the current
    /// logits and feeds the sample back. <paramref name="output"/> receives <c>[steps][streams]</c> ids. Random numbers
    /// come from <see cref="CounterRng"/> with (<paramref name="seed"/>, stream, <paramref name="counter"/> + step).
    /// </summary>
    /// <exception cref="InvalidOperationException">Nothing has been fed yet, so there are no logits to sample from.</exception>
    public void Generate(int steps, SamplingOptions sampling, ulong seed, long counter, Span<int> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(sampling);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 0);
        ArgumentOutOfRangeException.ThrowIfNegative(counter);
        if (output.Length != steps * Streams)
        {
            throw new ArgumentException($"The output span must hold {steps} x {Streams} ids.", nameof(output));
        }
        if (!HasLogits)
        {
            throw new InvalidOperationException("Nothing has been fed: prime the session with at least one character before generating.");
        }
        if (steps > 0)
        {
            GenerateCore(steps, sampling, seed, counter, output);
        }
    }

    /// <summary>Copies the current logits, <c>[streams][vocab]</c>, to the host.</summary>
    public void ReadLogits(Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length != Streams * Dimensions.VocabularySize)
        {
            throw new ArgumentException($"The destination must hold {Streams} x {Dimensions.VocabularySize} floats.", nameof(destination));
        }
        if (!HasLogits)
        {
            throw new InvalidOperationException("Nothing has been fed: there are no logits yet.");
        }
        ReadLogitsCore(destination);
    }

    /// <summary>Copies the whole state (layout in <see cref="StateLength"/>) to the host.</summary>
    public void SaveState(Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length != StateLength)
        {
            throw new ArgumentException($"The destination must hold {StateLength} floats.", nameof(destination));
        }
        SaveStateCore(destination);
    }

    /// <summary>Restores a state saved by <see cref="SaveState"/> from a session of the same shape.</summary>
    public void RestoreState(ReadOnlySpan<float> source, bool hasLogits)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (source.Length != StateLength)
        {
            throw new ArgumentException($"The state must hold {StateLength} floats.", nameof(source));
        }
        RestoreStateCore(source);
        HasLogits = hasLogits;
    }

    /// <summary>
    /// Number of floats in one stream's saved state: <c>[layer][h, c][hidden]</c> followed by its logits <c>[vocab]</c>
    /// (the layout of <see cref="SaveState"/> for a one-stream session).
    /// </summary>
    public int StreamStateLength => Dimensions.StreamStateLength;

    /// <summary>
    /// Feeds one character to each of the first <c>tokens.Length</c> streams (the active prefix) and leaves the other
    /// streams exactly as they were. This is the serving step: streams are independent slots, and a stream's result
    /// does not depend on which slot it occupies or on which other streams are active.
    /// </summary>
    /// <param name="tokens">One id per active stream, 1 to <see cref="Streams"/> of them.</param>
    public void Step(ReadOnlySpan<int> tokens)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (tokens.Length < 1 || tokens.Length > Streams)
        {
            throw new ArgumentException($"Expected 1 to {Streams} tokens (one per active stream), got {tokens.Length}.", nameof(tokens));
        }
        CheckTokens(tokens);
        StepCore(tokens);
        HasLogits = true;
    }

    /// <summary>Copies the current logits of the first <paramref name="streams"/> streams, <c>[streams][vocab]</c>, to the host.</summary>
    public void ReadLogits(Span<float> destination, int streams)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(streams, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(streams, Streams);
        if (destination.Length != streams * Dimensions.VocabularySize)
        {
            throw new ArgumentException($"The destination must hold {streams} x {Dimensions.VocabularySize} floats.", nameof(destination));
        }
        ReadLogitsCore(destination, streams);
    }

    /// <summary>Copies one stream's state (layout in <see cref="StreamStateLength"/>) to the host.</summary>
    public void SaveStream(int stream, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckStream(stream);
        if (destination.Length != StreamStateLength)
        {
            throw new ArgumentException($"The destination must hold {StreamStateLength} floats.", nameof(destination));
        }
        SaveStreamCore(stream, destination);
    }

    /// <summary>Sets one stream's state (layout in <see cref="StreamStateLength"/>); the other streams are untouched.</summary>
    public void RestoreStream(int stream, ReadOnlySpan<float> source)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckStream(stream);
        if (source.Length != StreamStateLength)
        {
            throw new ArgumentException($"The state must hold {StreamStateLength} floats.", nameof(source));
        }
        RestoreStreamCore(stream, source);
    }

    /// <summary>Copies the state of stream <paramref name="from"/> over stream <paramref name="to"/> (for compacting slots).</summary>
    public void CopyStream(int from, int to)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckStream(from);
        CheckStream(to);
        if (from != to)
        {
            CopyStreamCore(from, to);
        }
    }

    /// <summary>Zeroes h and c.</summary>
    protected abstract void ResetCore();

    /// <summary>
    /// Steps the active prefix; see <see cref="Step"/>. The default feeds every stream through <see cref="FeedCore"/> and
    /// puts the inactive streams back from a host copy, which is correct on any backend but moves the whole state twice:
    /// backends override it with a step over the prefix alone.
    /// </summary>
    protected virtual void StepCore(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length == Streams)
        {
            FeedCore(tokens, 1, default);
            return;
        }
        // The active prefix from after the step, the inactive streams from before it.
        var before = HostState();
        SaveStateCore(before);
        var padded = _paddedTokens ??= new int[Streams];
        tokens.CopyTo(padded);
        padded.AsSpan(tokens.Length).Clear();
        FeedCore(padded, 1, default);
        var after = _stateAfter ??= new float[StateLength];
        SaveStateCore(after);
        int active = tokens.Length, hidden = Dimensions.HiddenSize, n = Streams * hidden, vocab = Dimensions.VocabularySize;
        for (int block = 0; block < 2 * Dimensions.LayerCount; block++)
        {
            after.AsSpan(block * n, active * hidden).CopyTo(before.AsSpan(block * n));
        }
        int logits = 2 * Dimensions.LayerCount * n;
        after.AsSpan(logits, active * vocab).CopyTo(before.AsSpan(logits));
        RestoreStateCore(before);
    }

    /// <summary>Copies the logits of the first <paramref name="streams"/> streams out; the default reads them all.</summary>
    protected virtual void ReadLogitsCore(Span<float> destination, int streams)
    {
        if (streams == Streams)
        {
            ReadLogitsCore(destination);
            return;
        }
        var all = _allLogits ??= new float[Streams * Dimensions.VocabularySize];
        ReadLogitsCore(all);
        all.AsSpan(0, destination.Length).CopyTo(destination);
    }

    /// <summary>Copies one stream's state out; the default reads the whole state.</summary>
    protected virtual void SaveStreamCore(int stream, Span<float> destination)
    {
        var all = HostState();
        SaveStateCore(all);
        GatherStream(all, stream, destination);
    }

    /// <summary>Sets one stream's state; the default reads, patches and writes back the whole state.</summary>
    protected virtual void RestoreStreamCore(int stream, ReadOnlySpan<float> source)
    {
        var all = HostState();
        SaveStateCore(all);
        ScatterStream(source, all, stream);
        RestoreStateCore(all);
    }

    /// <summary>Copies one stream's state over another's; the default goes through the host.</summary>
    protected virtual void CopyStreamCore(int from, int to)
    {
        var one = _oneStream ??= new float[StreamStateLength];
        SaveStreamCore(from, one);
        RestoreStreamCore(to, one);
    }

    // The defaults above work on host copies; each buffer is made when first needed and reused, so that a step
    // allocates nothing.
    private float[]? _hostState;
    private float[]? _stateAfter;
    private float[]? _allLogits;
    private float[]? _oneStream;
    private int[]? _paddedTokens;

    private float[] HostState() => _hostState ??= new float[StateLength];

    // Stream s of a whole-session state (layout in StateLength) to one-stream layout, and back.
    private void GatherStream(ReadOnlySpan<float> all, int stream, Span<float> one)
    {
        int hidden = Dimensions.HiddenSize, n = Streams * hidden, vocab = Dimensions.VocabularySize, blocks = 2 * Dimensions.LayerCount;
        for (int block = 0; block < blocks; block++)
        {
            all.Slice(block * n + stream * hidden, hidden).CopyTo(one.Slice(block * hidden, hidden));
        }
        all.Slice(blocks * n + stream * vocab, vocab).CopyTo(one.Slice(blocks * hidden, vocab));
    }

    private void ScatterStream(ReadOnlySpan<float> one, Span<float> all, int stream)
    {
        int hidden = Dimensions.HiddenSize, n = Streams * hidden, vocab = Dimensions.VocabularySize, blocks = 2 * Dimensions.LayerCount;
        for (int block = 0; block < blocks; block++)
        {
            one.Slice(block * hidden, hidden).CopyTo(all.Slice(block * n + stream * hidden, hidden));
        }
        one.Slice(blocks * hidden, vocab).CopyTo(all.Slice(blocks * n + stream * vocab, vocab));
    }

    private void CheckStream(int stream)
    {
        if ((uint)stream >= (uint)Streams)
        {
            throw new ArgumentOutOfRangeException(nameof(stream), stream, $"The session has streams 0 to {Streams - 1}.");
        }
    }

    private void CheckTokens(ReadOnlySpan<int> tokens)
    {
        int vocab = Dimensions.VocabularySize;
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)vocab)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], $"Token {i} is outside the vocabulary [0, {vocab}).");
            }
        }
    }

    /// <summary>Runs the LSTM over validated tokens; see <see cref="Feed"/>.</summary>
    protected abstract void FeedCore(ReadOnlySpan<int> tokens, int steps, Span<float> logitsPerStep);

    /// <summary>Samples and feeds back; see <see cref="Generate"/>.</summary>
    protected abstract void GenerateCore(int steps, SamplingOptions sampling, ulong seed, long counter, Span<int> output);

    /// <summary>Copies the current logits out.</summary>
    protected abstract void ReadLogitsCore(Span<float> destination);

    /// <summary>Copies the state out.</summary>
    protected abstract void SaveStateCore(Span<float> destination);

    /// <summary>Copies a state in.</summary>
    protected abstract void RestoreStateCore(ReadOnlySpan<float> source);

    /// <summary>Releases the state's memory.</summary>
    protected virtual void Dispose(bool disposing) { }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Whether <see cref="Dispose()"/> ran.</summary>
    protected bool IsDisposed => _disposed;
}
