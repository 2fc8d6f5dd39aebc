using CharRnn.Inference.Diagnostics;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Serving;

namespace CharRnn.Inference.Generation;

/// <summary>A generator's own one-stream session: its state stays where the engine computes, between calls too.</summary>
internal sealed class SessionStream : GenerationStream
{
    // A long prime is fed in pieces of this many characters, with a look at the cancellation token between them.
    private const int FeedPiece = 4096;

    private readonly InferenceEngine _engine;
    private readonly EngineSession _session;
    private readonly string _backendName;
    private float[]? _rewind;

    public SessionStream(InferenceEngine engine)
    {
        _engine = engine;
        _session = engine.CreateSession(1);
        // The metric tag, made once: formatting the enum per chunk would allocate on the generation path.
        _backendName = engine.Backend.ToString();
    }

    public override bool HasLogits => _session.HasLogits;

    // Saved once per generator when a call may need to go back (stop strings, a cancelled prime).
    private float[] RewindBuffer => _rewind ??= new float[_session.StateLength];

    public override void Feed(int[] ids, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            _session.Feed(ids, ids.Length);
            return;
        }
        bool hadLogits = _session.HasLogits;
        _session.SaveState(RewindBuffer);
        for (int at = 0; at < ids.Length; at += FeedPiece)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                _session.RestoreState(RewindBuffer, hadLogits);
                cancellationToken.ThrowIfCancellationRequested();
            }
            int n = Math.Min(FeedPiece, ids.Length - at);
            _session.Feed(ids.AsSpan(at, n), n);
        }
    }

    public override ValueTask FeedAsync(int[] ids, CancellationToken cancellationToken)
    {
        Feed(ids, cancellationToken);
        return ValueTask.CompletedTask;
    }

    public override GenerationRun Start(int count, GenerationRequest request) => new Run(this, count, request);

    public override void Save(Span<float> state) => _session.SaveState(state);

    public override void Restore(ReadOnlySpan<float> state, bool hasLogits) => _session.RestoreState(state, hasLogits);

    public override void Reset() => _session.Reset();

    public override void Dispose() => _session.Dispose();

    // Computes each piece when it is asked for: nothing runs ahead of the reader, so stopping early needs no rewind.
    private sealed class Run(SessionStream owner, int count, GenerationRequest request) : GenerationRun
    {
        private readonly int[] _ids = new int[Math.Max(1, Math.Min(count, request.ChunkSize))];
        private readonly StopMatcher? _stops = request.StopStrings.Count > 0 ? new StopMatcher(request.StopStrings) : null;
        private int _left = count;

        public override string? Next()
        {
            if (_left == 0 || StopString is not null)
            {
                return null;
            }
            var session = owner._session;
            int n = Math.Min(_left, _ids.Length);
            bool hadLogits = session.HasLogits;
            if (_stops is not null)
            {
                session.SaveState(owner.RewindBuffer);
            }
            var ids = _ids.AsSpan(0, n);
            session.Generate(n, request.Sampling, request.Seed, request.Position + Taken, ids);
            string chunk = owner._engine.Vocabulary.Decode(ids);
            if (_stops is not null && FindStop(chunk) is int end)
            {
                // The chunk ran past the stop string: go back to its start and feed only the text up to the stop.
                session.RestoreState(owner.RewindBuffer, hadLogits);
                session.Feed(ids[..end], end);
                chunk = chunk[..end];
            }
            _left -= chunk.Length;
            Taken += chunk.Length;
            if (CharRnnMetrics.CharsGenerated.Enabled)
            {
                CharRnnMetrics.CharsGenerated.Add(chunk.Length, new KeyValuePair<string, object?>(CharRnnMetrics.BackendTag, owner._backendName));
            }
            return chunk;
        }

        public override async ValueTask<string?> NextAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            return Next();
        }

        public override void Dispose()
        {
        }

        // The length of chunk up to and including the first stop string that ends in it (the matcher remembers the
        // end of the text before it), or null.
        private int? FindStop(string chunk)
        {
            for (int i = 0; i < chunk.Length; i++)
            {
                if (_stops!.Add(chunk[i]) is { } stop)
                {
                    StopString = stop;
                    return i + 1;
                }
            }
            return null;
        }
    }
}
