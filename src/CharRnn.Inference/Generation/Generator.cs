using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Text;
using CharRnn.Inference.Diagnostics;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Serving;

namespace CharRnn.Inference.Generation;

/// <summary>
/// One conversation with the model: primes with text, generates and streams characters, scores text, and keeps
/// the recurrent state (where the engine computes) between calls. Create it with
/// <see cref="InferenceEngine.CreateGenerator"/> (a one-stream session of its own) or
/// <see cref="GenerationScheduler.CreateGenerator"/> (a stream of a shared batch: the same text, at batched throughput).
/// </summary>
/// <remarks>
/// Not thread-safe: use one generator per thread. A call made while another is running on the same generator
/// (including an unfinished <see cref="GenerateAsync"/>) throws <see cref="InvalidOperationException"/>.
/// </remarks>
public sealed class Generator : IDisposable
{
    private const int ScoreChunk = 1024;

    // Generate without stop strings has no chunk boundaries to honour, so it asks the engine for up to this many
    // characters per call: each call costs a launch, a wait and a copy (docs/PERFORMANCE.md#streaming-chunk-size).
    private const int LongCall = 4096;

    private readonly InferenceEngine _engine;
    private readonly GenerationStream _stream;
    private readonly int _vocab;
    // The span tag, made once per generator.
    private readonly string _backendName;
    // Characters per engine call in Generate: ChunkSize when stop strings may need to rewind a chunk, else LongCall (or
    // ChunkSize if that is larger).
    private readonly int _callLength;
    private int _busy;
    private bool _disposed;

    internal Generator(InferenceEngine engine, GeneratorOptions options, GenerationStream? stream = null)
    {
        _engine = engine;
        Options = options;
        _vocab = engine.Dimensions.VocabularySize;
        _backendName = engine.Backend.ToString();
        _stream = stream ?? new SessionStream(engine);
        _callLength = options.StopStrings.Count > 0 ? options.ChunkSize : Math.Max(options.ChunkSize, LongCall);
    }

    /// <summary>Where the state lives and how calls run (a pool asks which device a conversation is on).</summary>
    internal GenerationStream Stream => _stream;

    /// <summary>The options this generator was created with.</summary>
    public GeneratorOptions Options { get; }

    /// <summary>The engine computing (for a generator of an <see cref="EnginePool"/>, the one of its current device).</summary>
    public InferenceEngine Engine => _stream.CurrentEngine ?? _engine;

    /// <summary>Characters sampled since the last <see cref="Reset"/> (the random-number counter).</summary>
    public long Position { get; private set; }

    /// <summary>Whether text has been fed, so that there is a prediction to sample from.</summary>
    public bool IsPrimed => _stream.HasLogits;

    /// <summary>The stop string that ended the last generation, or null if it ran to its length.</summary>
    public string? LastStopString { get; private set; }

    /// <summary>
    /// Feeds text: every character advances the state, and the prediction after the last one is what
    /// <see cref="Generate"/> samples first (sampleCharRNN's order). Priming again continues from the current state.
    /// </summary>
    /// <param name="text">The text to feed.</param>
    /// <param name="cancellationToken">
    /// Stops a long prime within a few thousand characters; the state is then as it was before the call and
    /// <see cref="OperationCanceledException"/> is thrown.
    /// </param>
    /// <exception cref="VocabularyException">The text holds characters the vocabulary lacks (under the default policy).</exception>
    public void Prime(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var _ = Enter();
        using var activity = CharRnnActivities.StartPrime(_backendName, text.Length);
        try
        {
            int[] ids = _engine.Vocabulary.Encode(text, Options.UnknownCharacters, Options.ReplacementCharacter);
            _stream.Feed(ids, cancellationToken);
        }
        catch (Exception e)
        {
            CharRnnActivities.Failed(activity, e);
            throw;
        }
    }

    /// <summary>
    /// <see cref="Prime"/> for servers: a generator of a <see cref="GenerationScheduler"/> waits for the shared batch
    /// without holding a thread; a generator with a session of its own computes on the caller's thread and completes
    /// synchronously.
    /// </summary>
    /// <exception cref="VocabularyException">The text holds characters the vocabulary lacks (under the default policy).</exception>
    public async ValueTask PrimeAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var _ = Enter();
        using var activity = CharRnnActivities.StartPrime(_backendName, text.Length);
        try
        {
            int[] ids = _engine.Vocabulary.Encode(text, Options.UnknownCharacters, Options.ReplacementCharacter);
            await _stream.FeedAsync(ids, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            CharRnnActivities.Failed(activity, e);
            throw;
        }
    }

    /// <summary>
    /// Generates up to <paramref name="count"/> characters (fewer when a stop string appears) and returns them. Without
    /// stop strings the engine computes them in calls of 4,096 characters (or <see cref="GeneratorOptions.ChunkSize"/>
    /// if larger); with them, in chunks of <see cref="GeneratorOptions.ChunkSize"/>, after each of which they are looked
    /// for. The text is the same either way.
    /// </summary>
    /// <exception cref="InvalidOperationException">The generator has not been primed.</exception>
    public string Generate(int count) => GenerateText(count, traced: true);

    /// <summary>Generates one character (without a span of its own: a loop of steps is not a loop of calls to trace).</summary>
    public char Step()
    {
        string s = GenerateText(1, traced: false);
        return s.Length == 1 ? s[0] : throw new InvalidOperationException("No character was generated.");
    }

    private string GenerateText(int count, bool traced)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var _ = Enter();
        RequirePrimed();
        LastStopString = null;
        using var activity = traced ? CharRnnActivities.StartGenerate(_backendName, count, streaming: false) : null;
        var text = new StringBuilder(count);
        long start = Position;
        using var run = _stream.Start(count, Request(_callLength, streaming: false));
        try
        {
            while (run.Next() is { } chunk)
            {
                text.Append(chunk);
            }
        }
        catch (Exception e)
        {
            CharRnnActivities.Failed(activity, e);
            throw;
        }
        finally
        {
            Position = start + run.Taken;
        }
        LastStopString = run.StopString;
        CharRnnActivities.Generated(activity, text.Length, LastStopString);
        return text.ToString();
    }

    /// <summary>
    /// Streams up to <paramref name="count"/> characters in chunks of <see cref="GeneratorOptions.ChunkSize"/>.
    /// Cancellation is honoured between chunks, and stopping the enumeration early (a consumer that breaks or throws)
    /// is the same: the state then holds exactly the characters already yielded. Memory does not grow with
    /// <paramref name="count"/>.
    /// </summary>
    public async IAsyncEnumerable<string> GenerateAsync(int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var _ = Enter();
        RequirePrimed();
        LastStopString = null;
        // One span for the whole enumeration, never one per chunk.
        using var activity = CharRnnActivities.StartGenerate(_backendName, count, streaming: true);
        long start = Position;
        var run = _stream.Start(count, Request(Options.ChunkSize, streaming: true));
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                string? chunk = await run.NextAsync(cancellationToken).ConfigureAwait(false);
                Position = start + run.Taken;
                if (chunk is null)
                {
                    break;
                }
                yield return chunk;
            }
            LastStopString = run.StopString;
        }
        finally
        {
            run.Dispose();
            Position = start + run.Taken;
            CharRnnActivities.Generated(activity, (int)Math.Min(int.MaxValue, run.Taken), LastStopString);
            if (cancellationToken.IsCancellationRequested)
            {
                activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
            }
        }
    }

    /// <summary>
    /// Scores <paramref name="text"/> from a zero state, without touching this generator's state: the first character
    /// is context and every later one is predicted from all before it. <paramref name="progress"/>, when given, receives
    /// the number of characters predicted so far after every chunk of the text (for progress bars on large files).
    /// <paramref name="cancellationToken"/> is looked at between chunks.
    /// </summary>
    public ScoreResult Score(string text, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var _ = Enter();
        using var activity = CharRnnActivities.StartScore(_backendName, text.Length);
        try
        {
            return ScoreCore(text, progress, cancellationToken);
        }
        catch (Exception e)
        {
            CharRnnActivities.Failed(activity, e);
            throw;
        }
    }

    private ScoreResult ScoreCore(string text, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        int[] ids = _engine.Vocabulary.Encode(text, Options.UnknownCharacters, Options.ReplacementCharacter);
        if (ids.Length < 2)
        {
            return new ScoreResult(0, 0);
        }
        using var session = Engine.CreateSession(1);
        var logits = new float[ScoreChunk * _vocab];
        double sum = 0;
        int fed = 0, last = ids.Length - 1;
        while (fed < last)
        {
            cancellationToken.ThrowIfCancellationRequested();
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

    /// <summary>
    /// Saves the conversation: state, position, and this generator's sampling rule and seed (a host copy). Restore it with
    /// <see cref="Restore"/> here or on any engine of the same model, or serialize it (<see cref="GeneratorSnapshot.ToBytes"/>).
    /// </summary>
    public GeneratorSnapshot Snapshot()
    {
        using var _ = Enter();
        var state = new float[_engine.Dimensions.StreamStateLength];
        _stream.Save(state);
        return new GeneratorSnapshot(_engine.ModelFingerprint, _engine.Dimensions, state, _stream.HasLogits, Position, Options.Sampling, Options.Seed);
    }

    /// <summary>
    /// Returns to a snapshot taken on any engine of the same model (this one or another: another backend, instance or
    /// process), scheduled or not: the state, whether it is primed, and the position. The generator keeps its own options,
    /// so it continues the snapshot's text only if its sampling rule and seed are the snapshot's; a generator created with
    /// <see cref="GeneratorFactoryExtensions.CreateGenerator(IGeneratorFactory, GeneratorSnapshot, GeneratorOptions?)"/> has them.
    /// </summary>
    /// <exception cref="SnapshotMismatchException">The snapshot was taken on another model; the generator is unchanged.</exception>
    public void Restore(GeneratorSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        using var _ = Enter();
        snapshot.EnsureFits(_engine);
        _stream.Restore(snapshot.State, snapshot.IsPrimed);
        Position = snapshot.Position;
        LastStopString = null;
    }

    /// <summary>Returns to the zero state: nothing primed, position 0.</summary>
    public void Reset()
    {
        using var _ = Enter();
        _stream.Reset();
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
        _stream.Dispose();
    }

    private GenerationRequest Request(int chunk, bool streaming) =>
        new(chunk, streaming, Options.Sampling, Options.Seed, Position, Options.StopStrings);

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
        if (!_stream.HasLogits)
        {
            throw new InvalidOperationException("The generator has not been primed: call Prime with at least one character first.");
        }
    }

    private Entry Enter()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _stream.ThrowIfStopped();
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
