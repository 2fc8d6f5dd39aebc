using System.Text;
using CharRnn.Inference.Generation;
using Microsoft.Extensions.AI;

namespace CharRnn.Inference.AI;

/// <summary>
/// A chat request in the generator's terms: the text to prime with, the generator's options and the number of
/// characters to generate. <see cref="From"/> maps every part of a request or refuses it with
/// <see cref="UnsupportedChatRequestException"/>; nothing is silently dropped.
/// </summary>
internal sealed record ChatRequest(string Prompt, GeneratorOptions Generator, int MaxCharacters)
{
    public static ChatRequest From(IEnumerable<ChatMessage> messages, ChatOptions? options, CharRnnChatClientOptions defaults, IChatClient client)
    {
        ArgumentNullException.ThrowIfNull(messages);
        string prompt = PromptOf(messages);
        if (options is null)
        {
            return new ChatRequest(prompt, defaults.Generator, defaults.DefaultMaxOutputTokens);
        }
        RefuseWhatCannotMap(options, defaults);
        var generator = BaseOptions(options, defaults, client);
        var sampling = generator.Sampling;
        if (options.Temperature is { } temperature)
        {
            sampling = sampling with { Temperature = temperature };
        }
        if (options.TopK is { } topK)
        {
            sampling = sampling with { TopK = topK };
        }
        if (options.TopP is { } topP)
        {
            sampling = sampling with { TopP = topP };
        }
        generator = generator with { Sampling = sampling };
        if (options.Seed is { } seed)
        {
            // The seed's 64 bits as they are: -1 and ulong.MaxValue are the same seed.
            generator = generator with { Seed = unchecked((ulong)seed) };
        }
        if (options.StopSequences is { Count: > 0 } stops)
        {
            generator = generator with { StopStrings = [.. stops] };
        }
        int count = options.MaxOutputTokens ?? defaults.DefaultMaxOutputTokens;
        if (count < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), count, "ChatOptions.MaxOutputTokens must be >= 0 (characters to generate).");
        }
        return new ChatRequest(prompt, generator, count);
    }

    /// <summary>
    /// The prompt: the text of every user and assistant message, in order, joined without separators. A conversation is
    /// one running text that the model continues: each assistant message is an earlier continuation, each user message
    /// text appended to it.
    /// </summary>
    private static string PromptOf(IEnumerable<ChatMessage> messages)
    {
        var text = new StringBuilder();
        int index = 0;
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            if (message.Role != ChatRole.User && message.Role != ChatRole.Assistant)
            {
                throw new UnsupportedChatRequestException($"ChatMessage.Role {message.Role}",
                    $"Message {index} has role '{message.Role}'; a char-rnn model only continues text, so only user and assistant messages can be given. " +
                    "Put instructions into the text to continue, or leave the message out.");
            }
            foreach (var content in message.Contents)
            {
                switch (content)
                {
                    case TextContent t:
                        text.Append(t.Text);
                        break;
                    case UsageContent:
                        // Bookkeeping a streamed response leaves in its messages, not text of the conversation.
                        break;
                    default:
                        throw new UnsupportedChatRequestException($"ChatMessage.Contents {content.GetType().Name}",
                            $"Message {index} holds {content.GetType().Name}; a char-rnn model reads text only. Give the message as text.");
                }
            }
            index++;
        }
        if (text.Length == 0)
        {
            throw new ArgumentException("The conversation holds no text to continue: give at least one user message with text.", nameof(messages));
        }
        return text.ToString();
    }

    private static GeneratorOptions BaseOptions(ChatOptions options, CharRnnChatClientOptions defaults, IChatClient client)
    {
        if (options.RawRepresentationFactory?.Invoke(client) is not { } raw)
        {
            return defaults.Generator;
        }
        return raw as GeneratorOptions ?? throw Unsupported("ChatOptions.RawRepresentationFactory",
            $"it returned a {raw.GetType().Name}, but CharRnnChatClient accepts only a CharRnn.Inference.Generation.GeneratorOptions there (the base the other options override), or null");
    }

    private static void RefuseWhatCannotMap(ChatOptions options, CharRnnChatClientOptions defaults)
    {
        if (options.Tools is { Count: > 0 })
        {
            throw Unsupported("ChatOptions.Tools", "a char-rnn model cannot call tools; remove the tools from the request");
        }
        if (options.ToolMode is { } mode && mode != ChatToolMode.None)
        {
            throw Unsupported("ChatOptions.ToolMode", "a char-rnn model cannot call tools; leave ToolMode null or None");
        }
        if (options.AllowMultipleToolCalls == true)
        {
            throw Unsupported("ChatOptions.AllowMultipleToolCalls", "a char-rnn model cannot call tools; leave AllowMultipleToolCalls unset");
        }
        if (options.ResponseFormat is { } format && format is not ChatResponseFormatText)
        {
            throw Unsupported("ChatOptions.ResponseFormat", "a char-rnn model writes free text and cannot follow a JSON format or schema; use ChatResponseFormat.Text or leave it null");
        }
        if (options.FrequencyPenalty is { } frequency && frequency != 0f)
        {
            throw Unsupported("ChatOptions.FrequencyPenalty", "the sampler has no frequency penalty; use Temperature, TopK and TopP, or leave it unset");
        }
        if (options.PresencePenalty is { } presence && presence != 0f)
        {
            throw Unsupported("ChatOptions.PresencePenalty", "the sampler has no presence penalty; use Temperature, TopK and TopP, or leave it unset");
        }
        if (!string.IsNullOrEmpty(options.Instructions))
        {
            throw Unsupported("ChatOptions.Instructions", "a char-rnn model cannot follow instructions; put any text to continue into a user message");
        }
        if (options.ModelId is { } model && model != defaults.ModelId)
        {
            throw Unsupported("ChatOptions.ModelId", $"this client serves one model, '{defaults.ModelId}', not '{model}'; leave ModelId null or use a client of that model");
        }
        if (options.ConversationId is not null)
        {
            throw Unsupported("ChatOptions.ConversationId", "the client keeps no conversation state between requests; send the whole conversation's messages instead");
        }
        if (options.Reasoning is not null)
        {
            throw Unsupported("ChatOptions.Reasoning", "a char-rnn model does not reason; leave Reasoning null");
        }
        if (options.AllowBackgroundResponses == true || options.ContinuationToken is not null)
        {
            throw Unsupported("ChatOptions.AllowBackgroundResponses", "responses are computed in the call, never in the background; leave AllowBackgroundResponses and ContinuationToken unset");
        }
        if (options.AdditionalProperties is { Count: > 0 } extra)
        {
            throw Unsupported("ChatOptions.AdditionalProperties",
                $"no additional property maps onto a char-rnn generator (got {string.Join(", ", extra.Keys)}); pass a GeneratorOptions through RawRepresentationFactory instead");
        }
    }

    private static UnsupportedChatRequestException Unsupported(string feature, string how) =>
        new(feature, $"{feature} is set but cannot be honoured: {how}.");
}
