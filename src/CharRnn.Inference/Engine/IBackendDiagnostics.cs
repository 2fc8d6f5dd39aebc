namespace CharRnn.Inference.Engine;

/// <summary>
/// Optional companion of <see cref="IBackendProvider"/>: details of the machine as the backend sees it (driver and
/// library versions, library paths, device names, compute capabilities). Tools such as <c>charrnn doctor</c> print
/// them when a provider implements this interface.
/// </summary>
public interface IBackendDiagnostics
{
    /// <summary>
    /// Describes what the backend finds here, as ordered name/value pairs. Never throws: a value that cannot be read is
    /// reported as such (for example <c>"not loaded"</c>). May load native libraries, as
    /// <see cref="IBackendProvider.IsAvailable"/> does.
    /// </summary>
    IReadOnlyList<KeyValuePair<string, string>> Describe();
}
