using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Serving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CharRnn.Inference.Hosting;

/// <summary>Registers CharRnn.Inference in a service collection.</summary>
public static class CharRnnServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="InferenceEngine"/> built from <see cref="CharRnnOptions"/> (validated at start),
    /// on the backends registered with <see cref="AddCharRnnBackend"/> (any <see cref="IBackendProvider"/> service, in
    /// registration order), a singleton <see cref="GenerationScheduler"/> on it, an <see cref="IGeneratorFactory"/> (the
    /// scheduler, so that concurrent requests share one batch, unless <see cref="CharRnnServingOptions.Batching"/> is
    /// off), and a hosted service that builds them while the host starts. Resolve <see cref="IGeneratorFactory"/> and
    /// create one <see cref="Generator"/> per request or conversation: the factory is shared and thread-safe, generators
    /// are not.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; may be called with other configuration (for example a bound section).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddCharRnn(this IServiceCollection services, Action<CharRnnOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<CharRnnOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CharRnnOptions>, CharRnnOptionsValidator>());
        services.TryAddSingleton(sp => CharRnnEngineFactory.Create(
            sp.GetRequiredService<IOptions<CharRnnOptions>>().Value,
            sp.GetServices<IBackendProvider>(),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        services.TryAddSingleton(sp =>
        {
            var serving = sp.GetRequiredService<IOptions<CharRnnOptions>>().Value.Serving;
            return new GenerationScheduler(sp.GetRequiredService<InferenceEngine>(), new SchedulerOptions
            {
                MaxStreams = serving.MaxStreams,
                MaxQueuedRequests = serving.MaxQueuedRequests,
                OutputBufferSize = serving.OutputBufferSize,
            }, sp.GetService<ILoggerFactory>());
        });
        services.TryAddSingleton<IGeneratorFactory>(sp => sp.GetRequiredService<IOptions<CharRnnOptions>>().Value.Serving.Batching
            ? sp.GetRequiredService<GenerationScheduler>()
            : sp.GetRequiredService<InferenceEngine>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CharRnnWarmUpService>());
        return services;
    }

    /// <summary>
    /// Adds a GPU backend (for example <c>new TensorRtBackendProvider()</c>) that <see cref="Backend.Auto"/> tries before
    /// the CPU, in registration order, and that a named <see cref="CharRnnOptions.Backend"/> uses.
    /// </summary>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddCharRnnBackend(this IServiceCollection services, IBackendProvider provider)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(provider);
        services.AddSingleton(provider);
        return services;
    }
}
