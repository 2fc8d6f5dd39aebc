using CharRnn.Inference.Engine;

namespace CharRnn.Inference.Hosting;

/// <summary>
/// What <see cref="CharRnnServiceCollectionExtensions.AddCharRnn"/> builds. Validated when the host starts (and on
/// first use): a wrong path fails start-up with a message naming the option, not the first request.
/// </summary>
public sealed class CharRnnOptions
{
    /// <summary>
    /// A <c>.wts</c> file (V1 or V2) or a TensorFlow checkpoint prefix (<c>dir/model-85340</c>); null uses the embedded
    /// tiny-Shakespeare model (package CharRnn.Models.TinyShakespeare).
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>The model's <c>vocab.json</c>; null uses sampleCharRNN's 65-character map. Needs <see cref="ModelPath"/>.</summary>
    public string? VocabularyPath { get; set; }

    /// <summary>
    /// The backend; <see cref="Backend.Auto"/> tries the registered <see cref="IBackendProvider"/>s in registration order
    /// (skipping those that run only when named, such as TensorRT)
    /// and falls back to the CPU.
    /// </summary>
    public Backend Backend { get; set; } = Backend.Auto;

    /// <summary>Constant added to the LSTM forget gate: 0 for tensorflow-char-rnn models, 1 for TensorFlow's default BasicLSTMCell.</summary>
    public float ForgetBias { get; set; }

    /// <summary>How generators are served: one shared batch by default.</summary>
    public CharRnnServingOptions Serving { get; set; } = new();
}
