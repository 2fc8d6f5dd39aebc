using CharRnn.Inference.AI;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Serving;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
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

    /// <summary>
    /// Registers a singleton <see cref="IChatClient"/>, a <see cref="CharRnnChatClient"/> over the container's
    /// <see cref="IGeneratorFactory"/> (the engine <see cref="AddCharRnn"/> registers, or a scheduler), unless an
    /// <see cref="IChatClient"/> is registered already. To add Microsoft.Extensions.AI middleware (logging,
    /// OpenTelemetry), register the client with that package's <c>AddChatClient(sp => new CharRnnChatClient(...))</c> instead.
    /// </summary>
    /// <param name="services">The service collection; call <see cref="AddCharRnn"/> too.</param>
    /// <param name="options">The client's defaults; null uses <see cref="CharRnnChatClientOptions"/>' defaults.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddCharRnnChatClient(this IServiceCollection services, CharRnnChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IChatClient>(sp => new CharRnnChatClient(sp.GetRequiredService<IGeneratorFactory>(), options));
        return services;
    }

    /// <summary>
    /// Adds a health check of the engine <see cref="AddCharRnn"/> registers: healthy when it is built and its device
    /// computes one character with finite results; <paramref name="failureStatus"/> (default Unhealthy) otherwise, with
    /// the reason. Its data name the backend, the device and the model. Use it as
    /// <c>services.AddHealthChecks().AddCharRnnHealthCheck()</c> and map the endpoint with <c>app.MapHealthChecks("/health")</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name in reports.</param>
    /// <param name="failureStatus">The status reported when the check fails; null means Unhealthy.</param>
    /// <param name="tags">Tags to filter checks by (for example "ready").</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IHealthChecksBuilder AddCharRnnHealthCheck(this IHealthChecksBuilder builder, string name = "charrnn",
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return builder.Add(new HealthCheckRegistration(name, sp => new CharRnnHealthCheck(sp), failureStatus, tags));
    }
}
