using System.Diagnostics;
using CharRnn.Inference.Generation;

namespace CharRnn.Cli;

/// <summary>
/// Feeds a prime in pieces so that Ctrl+C is honoured within a piece rather than after the whole prime (a 120 KB prime
/// takes tens of seconds on the CPU engine). <see cref="Generator.Prime"/> continues from the current state, so the
/// pieces leave the same state as one call.
/// </summary>
internal static class ChunkedPrime
{
    /// <summary>Characters per piece: a few milliseconds of work on a GPU, well under a second on the CPU engine.</summary>
    public const int PieceLength = 4096;

    /// <summary>
    /// Primes <paramref name="generator"/> with <paramref name="text"/>, checking <paramref name="cancellationToken"/>
    /// before each piece and showing progress when the text is longer than one piece.
    /// </summary>
    /// <exception cref="Inference.VocabularyException">The text holds characters the vocabulary lacks (positions in the whole text).</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the generator then holds the pieces already fed.</exception>
    public static void Run(Generator generator, string text, CliProgress progress, CancellationToken cancellationToken)
    {
        // Checked once for the whole text, so that an unknown character is reported at its position in the prime, not
        // in a piece, and before anything is fed.
        var options = generator.Options;
        generator.Engine.Vocabulary.Encode(text, options.UnknownCharacters, options.ReplacementCharacter);
        if (text.Length <= PieceLength)
        {
            cancellationToken.ThrowIfCancellationRequested();
            generator.Prime(text);
            return;
        }
        long start = Stopwatch.GetTimestamp();
        var counter = progress.Counter("priming characters", text.Length);
        int fed = 0;
        while (fed < text.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int length = Math.Min(PieceLength, text.Length - fed);
            // A surrogate pair stays in one piece, so that each piece is text on its own.
            if (fed + length < text.Length && char.IsHighSurrogate(text[fed + length - 1]))
            {
                length++;
            }
            generator.Prime(text.Substring(fed, length));
            fed += length;
            counter.Report(fed);
        }
        progress.Done($"primed {text.Length:N0} characters", Stopwatch.GetElapsedTime(start));
    }
}
