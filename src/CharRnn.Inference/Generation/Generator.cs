using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Text;
using CharRnn.Inference.Diagnostics;
using CharRnn.Inference.Engine;

namespace CharRnn.Inference.Generation;

/// <summary>
/// One conversation with the model: primes with text, generates and streams characters, scores text, and keeps
/// the recurrent state (where the engine computes) between calls. Create it with
/// <see cref="InferenceEngine.CreateGenerator"/>.
/// </summary>
/// <remarks>
/// Not thread-safe: use one generator per thread. A call made while another is running on the same generator
/// (including an unfinished <see cref="GenerateAsync"/>) throws <see cref="InvalidOperationException"/>.
/// </remarks>
public sealed class Generator : IDisposable
{
    private const int ScoreChunk = 1024;

    // Generate without stop strings has no chunk boundaries to honour, so it asks the engine for up to this many
    // characters per call: each call costs a launch, a wait and a copy. With 32-character calls the CUDA engine's
    // batch 1 took 6.1-6.2 us per character sampled and 4.1-4.2 greedy (the CLI, 1,000,000 characters), against 4.95
    // and 2.78 in one call (H100, 2026-11-26 19:10-19:40 UTC).
    private const int LongCall = 4096;

    private readonly InferenceEngine _engine;
    private readonly EngineSession _session;
    private readonly int _vocab;
    private readonly string _backendName;
    private readonly int[] _chunkIds;
    // Characters per engine call in Generate: ChunkSize when stop strings may need to rewind a chunk, else LongCall (or
    // ChunkSize if that is larger).
    private readonly int _callLength;
    private readonly float[]? _savedState;
    private int _busy;
    private bool _disposed;

    internal Generator(InferenceEngine engine, GeneratorOptions options)
    {
        _engine = engine;
        Options = options;
        _vocab = engine.Dimensions.VocabularySize;
        _session = engine.CreateSession(1);
        // Allocated once: generation writes every chunk's ids here, and saves the state here before a chunk when
        // stop strings may need to rewind it.
        _savedState = options.StopStrings.Count > 0 ? new float[_session.StateLength] : null;
        _callLength = _savedState is null ? Math.Max(options.ChunkSize, LongCall) : options.ChunkSize;
        _chunkIds = new int[_callLength];
        // The metric tag, made once: formatting the enum per chunk would allocate on the generation path.
        _backendName = engine.Backend.ToString();
    }

    /// <summary>The options this generator was created with.</summary>
    public GeneratorOptions Options { get; }

    /// <summary>The engine computing.</summary>
    public InferenceEngine Engine => _engine;

    /// <summary>Characters sampled since the last <see cref="Reset"/> (the random-number counter).</summary>
    public long Position { get; private set; }

    /// <summary>Whether text has been fed, so that there is a prediction to sample from.</summary>
    public bool IsPrimed => _session.HasLogits;

    /// <summary>The stop string that ended the last generation, or null if it ran to its length.</summary>
    public string? LastStopString { get; private set; }

    /// <summary>
    /// Feeds text: every character advances the state, and the prediction after the last one is what
    /// <see cref="Generate"/> samples first (sampleCharRNN's order). Priming again continues from the current state.
    /// </summary>
    /// <exception cref="VocabularyException">The text holds characters the vocabulary lacks (under the default policy).</exception>
    public void Prime(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var _ = Enter();
        int[] ids = _engine.Vocabulary.Encode(text, Options.UnknownCharacters, Options.ReplacementCharacter);
        _session.Feed(ids, ids.Length);
    }

    /// <summary>
    /// Generates up to <paramref name="count"/> characters (fewer when a stop string appears) and returns them. Without
    /// stop strings the engine computes them in calls of 4,096 characters (or <see cref="GeneratorOptions.ChunkSize"/>
    /// if larger); with them, in chunks of <see cref="GeneratorOptions.ChunkSize"/>, after each of which they are looked
    /// for. The text is the same either way.
    /// </summary>
    /// <exception cref="InvalidOperationException">The generator has not been primed.</exception>
    public string Generate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var _ = Enter();
        RequirePrimed();
        var text = new StringBuilder(count);
        LastStopString = null;
        while (count > 0 && LastStopString is null)
        {
            string chunk = NextChunk(Math.Min(count, _callLength), text);
            text.Append(chunk);
            count -= chunk.Length;
        }
        return text.ToString();
    }

    /// <summary>Generates one character.</summary>
    public char Step()
    {
        string s = Generate(1);
        return s.Length == 1 ? s[0] : throw new InvalidOperationException("No character was generated.");
    }

    /// <summary>
    /// Streams up to <paramref name="count"/> characters in chunks of <see cref="GeneratorOptions.ChunkSize"/>.
    /// Cancellation is honoured between chunks; the state then holds exactly the characters already yielded.
    /// </summary>
    public async IAsyncEnumerable<string> GenerateAsync(int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var _ = Enter();
        RequirePrimed();
        LastStopString = null;
        var text = new StringBuilder();
        while (count > 0 && LastStopString is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            string chunk = NextChunk(Math.Min(count, Options.ChunkSize), text);
            text.Append(chunk);
            count -= chunk.Length;
            yield return chunk;
        }
    }

    /// <summary>
    /// Scores <paramref name="text"/> from a zero state, without touching this generator's state: the first character
    /// is context and every later one is predicted from all before it. <paramref name="progress"/>, when given, receives
    /// the number of characters predicted so far after every chunk of the text (for progress bars on large files).
    /// </summary>
    public ScoreResult Score(string text, IProgress<long>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var _ = Enter();
        int[] ids = _engine.Vocabulary.Encode(text, Options.UnknownCharacters, Options.ReplacementCharacter);
        if (ids.Length < 2)
        {
            return new ScoreResult(0, 0);
        }
        using var session = _engine.CreateSession(1);
        var logits = new float[ScoreChunk * _vocab];
        var logProbs = new float[_vocab];
        double sum = 0;
        int fed = 0, last = ids.Length - 1;
        while (fed < last)
        {
            int steps = Math.Min(ScoreChunk, last - fed);
            var chunkLogits = logits.AsSpan(0, steps * _vocab);
            session.Feed(ids.AsSpan(fed, steps), steps, chunkLogits);
            for (int t = 0; t < steps; t++)
            {
                sum += LogSoftmaxAt(chunkLogits.Slice(t * _vocab, _vocab), ids[fed + t + 1]);
            }
            fed += steps;
            progress?.Report(fed);
        }
        return new ScoreResult(sum, last);
    }

    /// <summary>Saves the state to return to with <see cref="Restore"/> (a host copy).</summary>
    public GeneratorSnapshot Snapshot()
    {
        using var _ = Enter();
        var state = new float[_session.StateLength];
        _session.SaveState(state);
        return new GeneratorSnapshot(_engine, state, _session.HasLogits, Position);
    }

    /// <summary>Returns to a snapshot taken from a generator of the same engine.</summary>
    public void Restore(GeneratorSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!ReferenceEquals(snapshot.Owner, _engine))
        {
            throw new ArgumentException("The snapshot was taken on a different engine.", nameof(snapshot));
        }
        using var _ = Enter();
        _session.RestoreState(snapshot.State, snapshot.HasLogits);
        Position = snapshot.Position;
    }

    /// <summary>Returns to the zero state: nothing primed, position 0.</summary>
    public void Reset()
    {
        using var _ = Enter();
        _session.Reset();
        Position = 0;
        LastStopString = null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _session.Dispose();
    }

    // Generates up to n characters; if a stop string completes inside them, rewinds the state to just after it.
    private string NextChunk(int n, StringBuilder before)
    {
        bool savedHasLogits = _session.HasLogits;
        if (_savedState is not null)
        {
            _session.SaveState(_savedState);
        }
        var ids = _chunkIds.AsSpan(0, n);
        _session.Generate(n, Options.Sampling, Options.Seed, Position, ids);
        string chunk = _engine.Vocabulary.Decode(ids);
        if (_savedState is not null && FindStop(before, chunk, out int end, out string? stop))
        {
            _session.RestoreState(_savedState, savedHasLogits);
            _session.Feed(ids[..end], end);
            chunk = chunk[..end];
            LastStopString = stop;
        }
        Position += chunk.Length;
        if (CharRnnMetrics.CharsGenerated.Enabled)
        {
            CharRnnMetrics.CharsGenerated.Add(chunk.Length, new KeyValuePair<string, object?>(CharRnnMetrics.BackendTag, _backendName));
        }
        return chunk;
    }

    // Finds the earliest end (within chunk) of any stop string in before+chunk that ends inside chunk.
    private bool FindStop(StringBuilder before, string chunk, out int end, out string? stop)
    {
        int longest = Options.StopStrings.Max(s => s.Length);
        int tailLength = Math.Min(before.Length, Math.Max(0, longest - 1));
        string window = before.ToString(before.Length - tailLength, tailLength) + chunk;
        end = int.MaxValue;
        stop = null;
        foreach (string s in Options.StopStrings)
        {
            if (s.Length == 0)
            {
                continue;
            }
            int at = window.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0 && at + s.Length - tailLength < end)
            {
                end = at + s.Length - tailLength;
                stop = s;
            }
        }
        return stop is not null;
    }

    private static double LogSoftmaxAt(ReadOnlySpan<float> logits, int target)
    {
        double max = TensorPrimitives.Max(logits);
        double sum = 0;
        foreach (float l in logits)
        {
            sum += Math.Exp(l - max);
        }
        return logits[target] - max - Math.Log(sum);
    }

    private void RequirePrimed()
    {
        if (!_session.HasLogits)
        {
            throw new InvalidOperationException("The generator has not been primed: call Prime with at least one character first.");
        }
    }

    private Entry Enter()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException(
                "This generator is already running a call. Generators are not thread-safe: give each thread (or each concurrent request) its own generator.");
        }
        return new Entry(this);
    }

    private readonly struct Entry(Generator owner) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref owner._busy, 0);
    }
}
