using CharRnn.Inference.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CharRnn.Inference.Hosting;

/// <summary>
/// Healthy when the container's engine is built and its device computes: one character is fed through a fresh
/// one-stream session and the logits read back must be finite. Unhealthy (the registration's failure status) when the
/// engine cannot be built, or the device fails or returns non-finite numbers. Each check costs one engine step.
/// </summary>
internal sealed class CharRnnHealthCheck(IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failure = context.Registration.FailureStatus;
        InferenceEngine engine;
        try
        {
            engine = services.GetRequiredService<InferenceEngine>();
        }
        catch (Exception e)
        {
            return Task.FromResult(new HealthCheckResult(failure, $"The CharRnn engine could not be built: {e.Message}", e));
        }
        var data = new Dictionary<string, object>
        {
            ["backend"] = engine.Backend.ToString(),
            ["device"] = engine.DeviceName,
            ["model"] = engine.Dimensions.ToString(),
        };
        try
        {
            using var session = engine.CreateSession(1);
            session.Feed([0], 1);
            var logits = new float[engine.Dimensions.VocabularySize];
            session.ReadLogits(logits);
            if (!Array.TrueForAll(logits, float.IsFinite))
            {
                return Task.FromResult(new HealthCheckResult(failure,
                    $"The {engine.Backend} engine on {engine.DeviceName} computed non-finite logits for one character.", data: data));
            }
        }
        catch (Exception e)
        {
            return Task.FromResult(new HealthCheckResult(failure,
                $"The {engine.Backend} engine on {engine.DeviceName} failed to compute one character: {e.Message}", e, data));
        }
        return Task.FromResult(HealthCheckResult.Healthy($"{engine.Backend} engine on {engine.DeviceName}", data));
    }
}
