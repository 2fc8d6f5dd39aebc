namespace CharRnn.Inference.Generation;

/// <summary>
/// Creates <see cref="Generator"/>s. An <see cref="Engine.InferenceEngine"/> creates generators that each own a
/// one-stream session; a <c>GenerationScheduler</c> creates generators that share one batched session.
/// Code that serves users (hosting, the chat client) depends on this interface, so that either can be plugged in.
/// </summary>
/// <remarks>Implementations are thread-safe. Every generator returned is owned by the caller, who disposes it.</remarks>
public interface IGeneratorFactory
{
    /// <summary>Creates a generator with its own state, starting at zero.</summary>
    Generator CreateGenerator(GeneratorOptions? options = null);
}
