namespace CharRnn.Inference.Diagnostics;

/// <summary>
/// The names to subscribe to the library's telemetry with, for example OpenTelemetry's
/// <c>AddSource(CharRnnTelemetry.ActivitySourceName)</c> and <c>AddMeter(CharRnnTelemetry.MeterName)</c>.
/// </summary>
public static class CharRnnTelemetry
{
    /// <summary>
    /// The <see cref="System.Diagnostics.ActivitySource"/> of the library's spans: <c>charrnn.engine.build</c> (one per
    /// engine built) and the generator's calls (one span per call, never per character).
    /// </summary>
    public const string ActivitySourceName = "CharRnn.Inference";

    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> of the library's metrics.</summary>
    public const string MeterName = "CharRnn.Inference";
}
