namespace CharRnn.Cli;

/// <summary>Input the tool cannot use, found by the tool itself (not the library): reported as one line, exit code 1.</summary>
internal sealed class CliInputException : Exception
{
    public CliInputException() { }

    public CliInputException(string message) : base(message) { }

    public CliInputException(string message, Exception innerException) : base(message, innerException) { }
}
