using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CharRnn.Inference.Hosting;

/// <summary>
/// Builds the singleton <see cref="InferenceEngine"/> (and the scheduler on it) while the host starts, so that the first request does not pay for
/// loading and building, and a broken model or a missing backend stops start-up instead of failing requests.
/// </summary>
internal sealed class CharRnnWarmUpService(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        // Off the host's thread: building takes from milliseconds (CPU) to seconds (a TensorRT plan).
        Task.Run(() => services.GetRequiredService<IGeneratorFactory>(), cancellationToken).WaitAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
