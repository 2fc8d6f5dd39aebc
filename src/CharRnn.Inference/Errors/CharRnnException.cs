namespace CharRnn.Inference;

/// <summary>Base of every exception this library throws for bad input, missing backends or native failures.</summary>
public class CharRnnException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CharRnnException() { }

    /// <summary>Creates the exception with a message.</summary>
    public CharRnnException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public CharRnnException(string message, Exception innerException) : base(message, innerException) { }
}
