using System.Runtime.CompilerServices;
using System.Text;
using CharRnn.Inference.Generation;
using Microsoft.Extensions.AI;

namespace CharRnn.Inference.AI;

/// <summary>
/// An <see cref="IChatClient"/> over a char-rnn model: the response is the model's continuation of the conversation's
/// text. Each request gets its own <see cref="Generator"/> from an <see cref="IGeneratorFactory"/> (an engine, or a
/// scheduler that batches many requests), primed with the prompt and disposed when the response ends.
/// </summary>
/// <remarks>
/// <para>
/// The prompt is the text of every user and assistant message, in order, joined without separators: one user message
/// primes with its text; a longer conversation is one running text the model continues. System and tool messages,
/// non-text contents, and options that cannot map (tools, JSON response formats, penalties, instructions, ...) throw
/// <see cref="UnsupportedChatRequestException"/>; characters the model's vocabulary lacks throw
/// <see cref="VocabularyException"/> (see <see cref="GeneratorOptions.UnknownCharacters"/>).
/// </para>
/// <para>
/// <c>ChatOptions</c> map onto <see cref="GeneratorOptions"/>: <c>Temperature</c>, <c>TopK</c> and <c>TopP</c> onto
/// <see cref="Sampling.SamplingOptions"/> (temperature 0 is greedy), <c>Seed</c> onto <see cref="GeneratorOptions.Seed"/>,
/// <c>StopSequences</c> onto <see cref="GeneratorOptions.StopStrings"/> (the stop sequence ends the text, as the
/// generator's does; the finish reason is then <see cref="ChatFinishReason.Stop"/>), <c>MaxOutputTokens</c> is the
/// number of characters (a token is a character; the finish reason is <see cref="ChatFinishReason.Length"/> when it is
/// reached). Usage counts characters: the prompt's as input, the response's as output.
/// </para>
/// <para>Thread-safe: requests may run concurrently. The client does not own the factory; disposing it does nothing.</para>
/// </remarks>
public sealed class CharRnnChatClient : IChatClient
{
    private readonly IGeneratorFactory _generators;
    private readonly ChatClientMetadata _metadata;

    /// <summary>Creates a client that draws generators from <paramref name="generators"/> (which the caller keeps owning).</summary>
    public CharRnnChatClient(IGeneratorFactory generators, CharRnnChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(generators);
        _generators = generators;
        Options = options ?? new CharRnnChatClientOptions();
        _metadata = new ChatClientMetadata("charrnn", providerUri: null, Options.ModelId);
    }

    /// <summary>The defaults requests start from.</summary>
    public CharRnnChatClientOptions Options { get; }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        ChatResponseUpdate? last = null;
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            text.Append(update.Text);
            last = update;
        }
        var usage = last?.Contents.OfType<UsageContent>().FirstOrDefault()?.Details;
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()) { MessageId = last?.MessageId })
        {
            ResponseId = last?.ResponseId,
            ModelId = Options.ModelId,
            CreatedAt = last?.CreatedAt,
            FinishReason = last?.FinishReason,
            Usage = usage,
        };
    }

    /// <inheritdoc />
    /// <remarks>
    /// Text arrives in chunks of <see cref="GeneratorOptions.ChunkSize"/> characters, as <see cref="Generator.GenerateAsync"/>
    /// streams them; the last update carries the finish reason and the usage. Cancellation is honoured before priming and
    /// between chunks.
    /// </remarks>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = ChatRequest.From(messages, options, Options, this);
        cancellationToken.ThrowIfCancellationRequested();
        string responseId = "charrnn-" + Guid.NewGuid().ToString("N");
        var createdAt = DateTimeOffset.UtcNow;

        using var generator = _generators.CreateGenerator(request.Generator);
        generator.Prime(request.Prompt);
        int produced = 0;
        await foreach (string chunk in generator.GenerateAsync(request.MaxCharacters, cancellationToken).ConfigureAwait(false))
        {
            produced += chunk.Length;
            yield return Update(new ChatResponseUpdate(ChatRole.Assistant, chunk), responseId, createdAt);
        }

        var usage = new UsageDetails
        {
            InputTokenCount = request.Prompt.Length,
            OutputTokenCount = produced,
            TotalTokenCount = request.Prompt.Length + produced,
        };
        yield return Update(new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(usage)])
        {
            FinishReason = generator.LastStopString is null ? ChatFinishReason.Length : ChatFinishReason.Stop,
        }, responseId, createdAt);
    }

    private ChatResponseUpdate Update(ChatResponseUpdate update, string responseId, DateTimeOffset createdAt)
    {
        update.ResponseId = responseId;
        update.MessageId = responseId;
        update.ModelId = Options.ModelId;
        update.CreatedAt = createdAt;
        return update;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }
        if (serviceType == typeof(ChatClientMetadata))
        {
            return _metadata;
        }
        if (serviceType == typeof(IGeneratorFactory))
        {
            return _generators;
        }
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Does nothing: the client owns no resources (the generator factory stays the caller's).</summary>
    public void Dispose() { }
}
