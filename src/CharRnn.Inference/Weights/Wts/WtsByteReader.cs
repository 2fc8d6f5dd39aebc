namespace CharRnn.Inference.Weights.Wts;

/// <summary>
/// A forward-only buffered reader over a <c>.wts</c> stream that knows the absolute byte offset of the next byte,
/// so every error can say where it happened. Works on non-seekable streams; on seekable ones it also knows how many
/// bytes are left, which lets the readers refuse impossible sizes before allocating anything.
/// </summary>
internal sealed class WtsByteReader
{
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[1 << 16];
    private readonly long? _endOffset;
    private int _start;
    private int _end;
    private long _bufferOffset;

    public WtsByteReader(Stream stream)
    {
        _stream = stream;
        // Offsets are file offsets when the stream can tell its position, else counted from where reading began.
        _bufferOffset = stream.CanSeek ? stream.Position : 0;
        _endOffset = stream.CanSeek ? stream.Length : null;
    }

    /// <summary>Absolute offset of the next byte to be read.</summary>
    public long Offset => _bufferOffset + _start;

    /// <summary>Bytes left before the end of the stream, or null when the stream cannot tell.</summary>
    public long? Remaining => _endOffset - Offset;

    /// <summary>The next byte without consuming it, or -1 at the end of the stream.</summary>
    public int Peek() => _start < _end || Fill() ? _buffer[_start] : -1;

    /// <summary>Consumes and returns the next byte, or -1 at the end of the stream.</summary>
    public int Read() => _start < _end || Fill() ? _buffer[_start++] : -1;

    /// <summary>Fills <paramref name="destination"/> as far as the stream allows; returns the bytes copied.</summary>
    public int ReadAtMost(Span<byte> destination)
    {
        int copied = 0;
        while (copied < destination.Length && (_start < _end || Fill()))
        {
            int n = Math.Min(destination.Length - copied, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(destination[copied..]);
            _start += n;
            copied += n;
        }
        return copied;
    }

    /// <summary>Skips up to <paramref name="count"/> bytes without keeping them; returns the bytes skipped.</summary>
    public long Skip(long count)
    {
        long buffered = Math.Min(count, _end - _start);
        _start += (int)buffered;
        long left = count - buffered;
        if (left == 0)
        {
            return count;
        }
        if (_stream.CanSeek)
        {
            long target = Math.Min(Offset + left, _endOffset!.Value);
            long skipped = target - Offset;
            _stream.Position = target;
            _bufferOffset = target;
            _start = _end = 0;
            return buffered + skipped;
        }
        while (left > 0 && (_start < _end || Fill()))
        {
            int n = (int)Math.Min(left, _end - _start);
            _start += n;
            left -= n;
        }
        return count - left;
    }

    private bool Fill()
    {
        _bufferOffset += _end;
        _start = _end = 0;
        int n = _stream.Read(_buffer, 0, _buffer.Length);
        _end = n;
        return n > 0;
    }
}
