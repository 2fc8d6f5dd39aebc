using Microsoft.Win32.SafeHandles;

namespace CharRnn.Cli;

/// <summary>
/// The process's stdout as a stream that reports a closed reader. <see cref="Console.OpenStandardOutput()"/> pretends a
/// write to a broken pipe succeeded, so <c>charrnn generate --length 10000000 | head -c 100</c> would generate until the
/// end; writes through this stream throw <see cref="StdoutClosedException"/> instead, which ends the run.
/// </summary>
internal static class StandardOutput
{
    private const int StdoutDescriptor = 1;

    /// <summary>Opens stdout; the caller disposes the stream (the descriptor itself stays open).</summary>
    public static Stream Open()
    {
        if (OperatingSystem.IsWindows())
        {
            // Windows' console stream reports a broken pipe as an IOException already.
            return new BrokenPipeStream(Console.OpenStandardOutput());
        }
        FileStream file;
        try
        {
            // bufferSize 0: the StreamWriter above buffers, and every flush must reach the pipe.
            file = new FileStream(new SafeFileHandle(StdoutDescriptor, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // No usable descriptor 1 (started with stdout closed): the console stream discards what is written.
            return Console.OpenStandardOutput();
        }
        if (file.CanSeek)
        {
            // A file: FileStream writes at its own position (pwrite), which leaves the offset it shares with the shell
            // behind, so `{ charrnn generate; echo done; } > out` would overwrite the text. Only pipes and sockets report
            // EPIPE, and the console stream writes at the shared offset.
            file.Dispose();
            return Console.OpenStandardOutput();
        }
        return new BrokenPipeStream(file);
    }

    /// <summary>Whether <paramref name="e"/> is a write to a pipe whose reader has gone (EPIPE, or Windows' broken pipe).</summary>
    public static bool IsBrokenPipe(IOException e) =>
        OperatingSystem.IsWindows()
            ? e.HResult is unchecked((int)0x8007006D) or unchecked((int)0x800700E8) // ERROR_BROKEN_PIPE, ERROR_NO_DATA
            : e.HResult == 32; // EPIPE on Linux and macOS; .NET puts the errno in HResult
}
