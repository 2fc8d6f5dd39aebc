using Microsoft.Extensions.Options;

namespace CharRnn.Inference.Hosting;

/// <summary>Checks <see cref="CharRnnOptions"/> before anything is loaded, so that a typo fails start-up with its fix.</summary>
internal sealed class CharRnnOptionsValidator : IValidateOptions<CharRnnOptions>
{
    public ValidateOptionsResult Validate(string? name, CharRnnOptions options)
    {
        var failures = new List<string>();
        if (options.ModelPath is { } model && !File.Exists(model) && !File.Exists(model + ".index"))
        {
            failures.Add($"CharRnnOptions.ModelPath '{model}' is neither a file nor a TensorFlow checkpoint prefix (no '{model}.index'): point it at a .wts file or a checkpoint prefix, or leave it null for the embedded model.");
        }
        if (options.VocabularyPath is { } vocab)
        {
            if (options.ModelPath is null)
            {
                failures.Add("CharRnnOptions.VocabularyPath is set but ModelPath is not: the embedded model has its own character map; set ModelPath too or remove VocabularyPath.");
            }
            else if (!File.Exists(vocab))
            {
                failures.Add($"CharRnnOptions.VocabularyPath '{vocab}' does not exist: point it at the model's vocab.json.");
            }
        }
        if (!Enum.IsDefined(options.Backend))
        {
            failures.Add($"CharRnnOptions.Backend {(int)options.Backend} is not a backend: use Auto, Cpu, Cuda or TensorRT.");
        }
        if (!float.IsFinite(options.ForgetBias))
        {
            failures.Add($"CharRnnOptions.ForgetBias {options.ForgetBias} is not finite: use 0 (tensorflow-char-rnn) or 1 (TensorFlow's default).");
        }
        if (options.Serving is { } serving)
        {
            if (serving.MaxStreams < 1)
            {
                failures.Add($"CharRnnOptions.Serving.MaxStreams {serving.MaxStreams} must be at least 1: it is the size of the shared batch.");
            }
            if (serving.MaxQueuedRequests < 0)
            {
                failures.Add($"CharRnnOptions.Serving.MaxQueuedRequests {serving.MaxQueuedRequests} must not be negative (0 refuses calls whenever every stream is busy).");
            }
            if (serving.OutputBufferSize < 1)
            {
                failures.Add($"CharRnnOptions.Serving.OutputBufferSize {serving.OutputBufferSize} must be at least 1 character.");
            }
        }
        else
        {
            failures.Add("CharRnnOptions.Serving is null: leave it at its default or set its properties.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
