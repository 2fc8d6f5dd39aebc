namespace CharRnn.Cli;

/// <summary>The two streams of the tool: <see cref="Out"/> carries only command output, <see cref="Err"/> everything else.</summary>
/// <param name="Out">Command output (for <c>generate</c>: exactly the prime and the generated text).</param>
/// <param name="Err">Errors, warnings and the <c>--verbose</c> summary.</param>
internal sealed record CliConsole(TextWriter Out, TextWriter Err)
{
    /// <summary>Writes the one error line: <c>charrnn: error: message</c>, with any line breaks of the message folded.</summary>
    public void Error(string message) => Err.WriteLine("charrnn: error: " + OneLine(message));

    /// <summary>Writes one informational line to stderr.</summary>
    public void Note(string message) => Err.WriteLine("charrnn: " + OneLine(message));

    // Line breaks folded into spaces, then any other control character escaped (a message may quote a file's bytes).
    private static string OneLine(string text) => TerminalText.Printable(
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
}
