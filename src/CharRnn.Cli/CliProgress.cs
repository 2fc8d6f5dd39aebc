using System.Globalization;

namespace CharRnn.Cli;

/// <summary>
/// Progress of long work (engine build, kernel compilation, scoring a large file) on stderr, one line rewritten in
/// place. Shown when stderr is a terminal or when <c>--progress</c> asks for it; never on stdout, which scripts read.
/// </summary>
internal sealed class CliProgress(TextWriter err, bool enabled)
{
    // Redraw at most this often: a 10 MB file reports ~10,000 chunks.
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);
    private DateTime _lastDraw = DateTime.MinValue;
    private int _lastWidth;

    /// <summary>Whether progress is shown: asked for, or stderr is an interactive terminal of the real process.</summary>
    public static bool ShouldShow(bool requested, TextWriter err) =>
        requested || (ReferenceEquals(err, Console.Error) && !Console.IsErrorRedirected);

    /// <summary>Starts a step that ends with <see cref="Done"/>: <c>charrnn: building the engine...</c>.</summary>
    public void Begin(string what) => Draw($"charrnn: {what}...", force: true);

    /// <summary>Ends the current step with its duration and a newline.</summary>
    public void Done(string what, TimeSpan elapsed)
    {
        Draw(string.Create(CultureInfo.InvariantCulture, $"charrnn: {what} in {elapsed.TotalMilliseconds:F0} ms"), force: true);
        if (enabled)
        {
            err.WriteLine();
            _lastWidth = 0;
        }
    }

    /// <summary>A reporter of "done of total" counts, e.g. characters scored.</summary>
    public IProgress<long> Counter(string what, long total) => new CounterReporter(this, what, total);

    private void Draw(string line, bool force)
    {
        if (!enabled)
        {
            return;
        }
        var now = DateTime.UtcNow;
        if (!force && now - _lastDraw < RedrawInterval)
        {
            return;
        }
        _lastDraw = now;
        // Carriage return and padding rewrite the line in place on a terminal.
        err.Write('\r' + line.PadRight(_lastWidth));
        err.Flush();
        _lastWidth = line.Length;
    }

    // Synchronous on purpose: Progress<T> would post to the thread pool and draw after the work ended.
    private sealed class CounterReporter(CliProgress owner, string what, long total) : IProgress<long>
    {
        public void Report(long value) => owner.Draw(
            string.Create(CultureInfo.InvariantCulture, $"charrnn: {what} {value:N0}/{total:N0} ({100.0 * value / Math.Max(1, total):F0}%)"),
            force: value >= total);
    }
}
