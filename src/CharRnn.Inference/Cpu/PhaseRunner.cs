using System.Diagnostics;

namespace CharRnn.Inference.Cpu;

/// <summary>The work of one step: phases run in order, each split into chunks that may run in any order on any thread.</summary>
internal interface IPhasedWork
{
    int PhaseCount { get; }

    int ChunkCount(int phase);

    void RunChunk(int phase, int chunk);
}

/// <summary>
/// Runs a step's phases on the calling thread and on helper threads from the thread pool, with a barrier between phases,
/// allocating nothing per step. Threads claim chunks from a shared counter, so the caller finishes the step alone when a
/// helper is late (a busy machine), and a helper that joins late finds nothing left. A helper stays for a short while
/// after a step, spinning for the next, so that a generation loop does not pay the pool's wake-up every step. Used by
/// one session, one step at a time.
/// </summary>
internal sealed class PhaseRunner
{
    // How long a helper spins for the next step before it gives its pool thread back.
    private static readonly long LingerTicks = Stopwatch.Frequency / 5000;

    private readonly Helper[] _helpers;
    private readonly int[] _claimed;
    private readonly int[] _completed;
    private IPhasedWork? _work;
    private int _generation;
    private int _open;
    private int _inside;
    private Exception? _failure;

    public PhaseRunner(int helpers, int maxPhases)
    {
        _helpers = [.. Enumerable.Range(0, helpers).Select(_ => new Helper(this))];
        // Counters 16 ints apart, so that the phases' counters do not share a cache line.
        _claimed = new int[16 * maxPhases];
        _completed = new int[16 * maxPhases];
    }

    /// <summary>Threads that can work on a step, the caller included.</summary>
    public int Threads => _helpers.Length + 1;

    /// <summary>Runs every phase of <paramref name="work"/>; with <paramref name="parallel"/> false, on the calling thread alone.</summary>
    public void Run(IPhasedWork work, bool parallel)
    {
        if (!parallel || _helpers.Length == 0)
        {
            for (int p = 0; p < work.PhaseCount; p++)
            {
                for (int c = 0, n = work.ChunkCount(p); c < n; c++)
                {
                    work.RunChunk(p, c);
                }
            }
            return;
        }
        // No helper is inside (the previous step waited for them), so the counters can be reset.
        Array.Clear(_claimed);
        Array.Clear(_completed);
        _work = work;
        int generation = _generation + 1;
        Volatile.Write(ref _generation, generation);
        Interlocked.Exchange(ref _open, 1);
        foreach (var helper in _helpers)
        {
            helper.Wake(generation);
        }
        Participate(work);
        // Close the step and wait for helpers that joined it; none can join after the exchange.
        Interlocked.Exchange(ref _open, 0);
        var spin = new SpinWait();
        while (Volatile.Read(ref _inside) != 0)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
        _work = null;
        if (_failure is { } failure)
        {
            _failure = null;
            throw new InvalidOperationException("A CPU worker failed during the step.", failure);
        }
    }

    private void Participate(IPhasedWork work)
    {
        for (int p = 0; p < work.PhaseCount; p++)
        {
            int n = work.ChunkCount(p);
            ref int claimed = ref _claimed[16 * p];
            ref int completed = ref _completed[16 * p];
            int c;
            while ((c = Interlocked.Increment(ref claimed) - 1) < n)
            {
                try
                {
                    work.RunChunk(p, c);
                }
                catch (Exception e)
                {
                    _failure ??= e;
                }
                Interlocked.Increment(ref completed);
            }
            var spin = new SpinWait();
            while (Volatile.Read(ref completed) < n)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
    }

    // A helper joins the step of this generation if it is still open.
    private bool TryJoin(int generation)
    {
        Interlocked.Increment(ref _inside);
        bool joined = Volatile.Read(ref _open) == 1 && Volatile.Read(ref _generation) == generation && _work is not null;
        if (joined)
        {
            Participate(_work!);
        }
        Interlocked.Decrement(ref _inside);
        return joined;
    }

    private sealed class Helper(PhaseRunner runner) : IThreadPoolWorkItem
    {
        private int _queued;
        private int _served;

        public void Wake(int generation)
        {
            if (Interlocked.CompareExchange(ref _queued, 1, 0) == 0)
            {
                _served = generation - 1;
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
        }

        public void Execute()
        {
            long deadline = Stopwatch.GetTimestamp() + LingerTicks;
            while (true)
            {
                int generation = Volatile.Read(ref runner._generation);
                if (generation != _served && Volatile.Read(ref runner._open) == 1)
                {
                    runner.TryJoin(generation);
                    _served = generation;
                    deadline = Stopwatch.GetTimestamp() + LingerTicks;
                    continue;
                }
                if (Stopwatch.GetTimestamp() < deadline)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                // Leave, unless a step opened meanwhile and the runner did not queue this helper again for it.
                Volatile.Write(ref _queued, 0);
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref runner._generation) != _served && Volatile.Read(ref runner._open) == 1
                    && Interlocked.CompareExchange(ref _queued, 1, 0) == 0)
                {
                    continue;
                }
                return;
            }
        }
    }
}
