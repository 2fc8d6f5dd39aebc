namespace CharRnn.Inference.AI;

/// <summary>
/// A chat request asks for something a char-rnn model cannot do (tools, JSON output, penalties, system instructions,
/// images...). <see cref="CharRnnChatClient"/> refuses such a request instead of ignoring part of it; the message names
/// the feature and what to do instead.
/// </summary>
public sealed class UnsupportedChatRequestException : CharRnnException
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedChatRequestException() { }

    /// <summary>Creates the exception with a message.</summary>
    public UnsupportedChatRequestException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public UnsupportedChatRequestException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for <paramref name="feature"/>, with a message saying what and how to fix it.</summary>
    public UnsupportedChatRequestException(string feature, string message) : base(message) => Feature = feature;

    /// <summary>The part of the request that cannot be honoured, as the API spells it (<c>ChatOptions.Tools</c>).</summary>
    public string? Feature { get; }
}
