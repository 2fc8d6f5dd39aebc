namespace CharRnn.Inference.Serving;

/// <summary>
/// The bounded buffer between the scheduler's loop (one writer) and a generator (one reader): characters in order, a
/// closed flag, and a wait for "at least n characters or closed".
/// </summary>
internal sealed class StreamOutput(int capacity)
{
    private readonly char[] _buffer = new char[capacity];
    private readonly Lock _lock = new();
    private int _head;
    private int _count;
    private bool _closed;
    private TaskCompletionSource? _waiter;
    private int _wanted;

    public int Capacity => _buffer.Length;

    /// <summary>Whether the writer may add a character (only the reader makes room, so a true answer stays true).</summary>
    public bool HasRoom => Volatile.Read(ref _count) < _buffer.Length;

    public void Write(char c)
    {
        TaskCompletionSource? wake = null;
        lock (_lock)
        {
            _buffer[(_head + _count) % _buffer.Length] = c;
            _count++;
            if (_waiter is not null && _count >= _wanted)
            {
                (wake, _waiter) = (_waiter, null);
            }
        }
        wake?.TrySetResult();
    }

    /// <summary>No more characters will come; wakes the reader.</summary>
    public void Close()
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            _closed = true;
            (wake, _waiter) = (_waiter, null);
        }
        wake?.TrySetResult();
    }

    /// <summary>Completes when at least <paramref name="wanted"/> characters are buffered or the writer closed.</summary>
    public Task WaitAsync(int wanted)
    {
        lock (_lock)
        {
            if (_count >= wanted || _closed)
            {
                return Task.CompletedTask;
            }
            _wanted = wanted;
            // Continuations run off the scheduler's loop, which must never run a reader's code.
            _waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waiter.Task;
        }
    }

    /// <summary>Takes up to <c>destination.Length</c> characters; returns how many.</summary>
    public int Read(Span<char> destination)
    {
        lock (_lock)
        {
            int n = Math.Min(destination.Length, _count);
            for (int i = 0; i < n; i++)
            {
                destination[i] = _buffer[(_head + i) % _buffer.Length];
            }
            _head = (_head + n) % _buffer.Length;
            Volatile.Write(ref _count, _count - n);
            return n;
        }
    }

    public bool IsClosedAndEmpty
    {
        get
        {
            lock (_lock)
            {
                return _closed && _count == 0;
            }
        }
    }
}
