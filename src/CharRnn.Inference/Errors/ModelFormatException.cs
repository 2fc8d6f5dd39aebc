namespace CharRnn.Inference;

/// <summary>
/// The tensors of a weight file do not form a char-rnn model: a required tensor is missing, or two tensors
/// have shapes that contradict each other. The message names the tensors and their shapes.
/// </summary>
public sealed class ModelFormatException : CharRnnException
{
    /// <summary>Creates the exception.</summary>
    public ModelFormatException() { }

    /// <summary>Creates the exception with a message.</summary>
    public ModelFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public ModelFormatException(string message, Exception innerException) : base(message, innerException) { }
}
