namespace CharRnn.Inference;

/// <summary>
/// A vocabulary could not be read or does not fit the model, or text holds characters the vocabulary lacks.
/// </summary>
public sealed class VocabularyException : CharRnnException
{
    /// <summary>Creates the exception.</summary>
    public VocabularyException() { }

    /// <summary>Creates the exception with a message.</summary>
    public VocabularyException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public VocabularyException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception listing the unknown characters and their positions in the text.</summary>
    public VocabularyException(string message, IReadOnlyList<UnknownCharacter> unknownCharacters) : base(message)
        => UnknownCharacters = unknownCharacters;

    /// <summary>The characters that are not in the vocabulary, with their positions; empty when not applicable.</summary>
    public IReadOnlyList<UnknownCharacter> UnknownCharacters { get; } = [];
}

/// <summary>A character of a text that the vocabulary does not hold, and where it was.</summary>
/// <param name="Character">The character (a UTF-16 code unit).</param>
/// <param name="Position">Zero-based index in the text.</param>
public readonly record struct UnknownCharacter(char Character, int Position);
