using System.Diagnostics;

namespace CharRnn.Inference.Diagnostics;

/// <summary>
/// The library's spans, on the <see cref="ActivitySource"/> named <see cref="CharRnnTelemetry.ActivitySourceName"/>.
/// A span covers one call (an engine build, a prime, a generation), never one character: starting a span costs
/// microseconds when someone listens, as much as a character on a GPU. Each <c>Start...</c> returns null when nobody
/// listens, so callers write <c>using var activity = CharRnnActivities.Start...(...)</c> and set tags with <c>?.</c>.
/// </summary>
internal static class CharRnnActivities
{
    /// <summary>Span of <see cref="Engine.InferenceEngine.Create"/> and <see cref="Engine.InferenceEngine.CreateAsync"/>.</summary>
    public const string EngineBuild = "charrnn.engine.build";

    /// <summary>Span of one <see cref="Generation.Generator.Prime"/> call.</summary>
    public const string GeneratorPrime = "charrnn.generator.prime";

    /// <summary>Span of one <see cref="Generation.Generator.Generate"/> call or one whole <see cref="Generation.Generator.GenerateAsync"/> enumeration.</summary>
    public const string GeneratorGenerate = "charrnn.generator.generate";

    /// <summary>Span of one <see cref="Generation.Generator.Score"/> call.</summary>
    public const string GeneratorScore = "charrnn.generator.score";

    /// <summary>The backend that computes (<c>Cpu</c>, <c>Cuda</c>, <c>TensorRT</c>); the same tag as the metrics'.</summary>
    public const string BackendTag = CharRnnMetrics.BackendTag;

    /// <summary>The backend asked for (<c>Auto</c> or a name), on the build span.</summary>
    public const string RequestedBackendTag = "charrnn.backend.requested";

    /// <summary>What computes, in words (<see cref="Engine.InferenceEngine.DeviceName"/>).</summary>
    public const string DeviceTag = "charrnn.device";

    /// <summary>The network's sizes in words (<see cref="Model.ModelDimensions"/>' text).</summary>
    public const string ModelTag = "charrnn.model";

    /// <summary>Characters fed by a prime, or scored.</summary>
    public const string InputLengthTag = "charrnn.input.length";

    /// <summary>Characters asked for by a generation.</summary>
    public const string RequestedLengthTag = "charrnn.generate.requested";

    /// <summary>Characters a generation produced (fewer than asked when a stop string ended it or it was cancelled).</summary>
    public const string GeneratedLengthTag = "charrnn.generate.produced";

    /// <summary>The stop string that ended a generation, when one did.</summary>
    public const string StopStringTag = "charrnn.generate.stop_string";

    /// <summary>Whether the generation streams (<see cref="Generation.Generator.GenerateAsync"/>).</summary>
    public const string StreamingTag = "charrnn.generate.streaming";

    private static readonly ActivitySource Source = new(CharRnnTelemetry.ActivitySourceName,
        typeof(CharRnnActivities).Assembly.GetName().Version?.ToString());

    /// <summary>Whether anyone listens to the library's spans (cheap: check it before formatting tag values).</summary>
    public static bool IsEnabled => Source.HasListeners();

    /// <summary>Starts the span of an engine build; the caller adds the chosen backend with <see cref="EngineBuilt"/>.</summary>
    public static Activity? StartEngineBuild(Engine.Backend requested, Model.ModelDimensions dimensions)
    {
        var activity = Source.StartActivity(EngineBuild, ActivityKind.Internal);
        activity?.SetTag(RequestedBackendTag, requested.ToString());
        activity?.SetTag(ModelTag, dimensions.ToString());
        return activity;
    }

    /// <summary>Records on the build span which engine was built.</summary>
    public static void EngineBuilt(Activity? activity, Engine.InferenceEngine engine)
    {
        activity?.SetTag(BackendTag, engine.Backend.ToString());
        activity?.SetTag(DeviceTag, engine.DeviceName);
    }

    /// <summary>Starts the span of one prime call of <paramref name="length"/> characters.</summary>
    public static Activity? StartPrime(string backend, int length)
    {
        var activity = Source.StartActivity(GeneratorPrime, ActivityKind.Internal);
        activity?.SetTag(BackendTag, backend);
        activity?.SetTag(InputLengthTag, length);
        return activity;
    }

    /// <summary>Starts the span of one generation of up to <paramref name="count"/> characters.</summary>
    public static Activity? StartGenerate(string backend, int count, bool streaming)
    {
        var activity = Source.StartActivity(GeneratorGenerate, ActivityKind.Internal);
        activity?.SetTag(BackendTag, backend);
        activity?.SetTag(RequestedLengthTag, count);
        activity?.SetTag(StreamingTag, streaming);
        return activity;
    }

    /// <summary>Records on a generation span how many characters it produced and the stop string that ended it.</summary>
    public static void Generated(Activity? activity, int produced, string? stopString)
    {
        activity?.SetTag(GeneratedLengthTag, produced);
        if (stopString is not null)
        {
            activity?.SetTag(StopStringTag, stopString);
        }
    }

    /// <summary>Starts the span of one score call over <paramref name="length"/> characters.</summary>
    public static Activity? StartScore(string backend, int length)
    {
        var activity = Source.StartActivity(GeneratorScore, ActivityKind.Internal);
        activity?.SetTag(BackendTag, backend);
        activity?.SetTag(InputLengthTag, length);
        return activity;
    }

    /// <summary>Marks a span failed (status Error, the exception as an event), or cancelled.</summary>
    public static void Failed(Activity? activity, Exception exception)
    {
        if (activity is null)
        {
            return;
        }
        if (exception is OperationCanceledException)
        {
            activity.SetStatus(ActivityStatusCode.Error, "cancelled");
            return;
        }
        activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        activity.AddException(exception);
    }
}
