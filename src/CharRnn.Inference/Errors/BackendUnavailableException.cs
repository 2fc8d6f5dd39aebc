using CharRnn.Inference.Engine;

namespace CharRnn.Inference;

/// <summary>
/// The requested backend cannot run here: a driver, a device or a native library is missing. The message names
/// what is missing and what was tried; <see cref="Diagnostics"/> holds the full load trace.
/// </summary>
public sealed class BackendUnavailableException : CharRnnException
{
    /// <summary>Creates the exception.</summary>
    public BackendUnavailableException() { }

    /// <summary>Creates the exception with a message.</summary>
    public BackendUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public BackendUnavailableException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a backend with the trace of what was tried.</summary>
    public BackendUnavailableException(Backend backend, string message, IReadOnlyList<string> diagnostics)
        : base(diagnostics.Count == 0 ? message : $"{message} Tried: {string.Join("; ", diagnostics)}")
    {
        Backend = backend;
        Diagnostics = diagnostics;
    }

    /// <summary>The backend that could not be created.</summary>
    public Backend Backend { get; }

    /// <summary>Every load attempt and check, in order.</summary>
    public IReadOnlyList<string> Diagnostics { get; } = [];
}
