namespace CharRnn.Cli;

/// <summary>
/// The reader of stdout has gone (<c>charrnn generate | head</c>): nothing more can be delivered, so the run ends at once,
/// with exit code 0 and nothing on stderr, as when a reader stops reading a finished output.
/// </summary>
internal sealed class StdoutClosedException : IOException
{
    public StdoutClosedException() : base("stdout was closed by its reader.") { }

    public StdoutClosedException(string message) : base(message) { }

    public StdoutClosedException(string message, Exception innerException) : base(message, innerException) { }

    public StdoutClosedException(IOException innerException) : base("stdout was closed by its reader.", innerException) { }
}
