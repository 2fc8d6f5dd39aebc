using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Engine;

/// <summary>
/// The recurrent state of one or more independent streams (h and c of every layer, plus the logits of the last step),
/// held where the engine computes: device memory for GPU engines, never copied to the host between characters.
/// Streams advance in lockstep. Not thread-safe: one session per conversation or batch.
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
        int vocab = Dimensions.VocabularySize;
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)vocab)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], $"Token {i} is outside the vocabulary [0, {vocab}).");
            }
        }
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

    /// <summary>Zeroes h and c.</summary>
    protected abstract void ResetCore();

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
