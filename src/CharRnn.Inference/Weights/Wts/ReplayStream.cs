namespace CharRnn.Inference.Weights.Wts;

/// <summary>
/// A read-only, forward-only stream that yields bytes already read from a non-seekable stream and then the rest of
/// it: <see cref="WeightLoader"/> looks at the start of a pipe to detect the format, then hands the whole to a reader.
/// </summary>
internal sealed class ReplayStream(ReadOnlyMemory<byte> head, Stream rest) : Stream
{
    private int _headRead;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_headRead < head.Length)
        {
            int n = Math.Min(buffer.Length, head.Length - _headRead);
            head.Span.Slice(_headRead, n).CopyTo(buffer);
            _headRead += n;
            return n;
        }
        return rest.Read(buffer);
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void Flush() { }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
