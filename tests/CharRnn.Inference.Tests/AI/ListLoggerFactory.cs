using CharRnn.Inference.Tests.Weights;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Tests.AI;

/// <summary>A logger factory whose loggers all write to one <see cref="ListLogger"/>.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory
{
    public ListLogger Logger { get; } = new();

    public ILogger CreateLogger(string categoryName) => Logger;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose() { }
}
