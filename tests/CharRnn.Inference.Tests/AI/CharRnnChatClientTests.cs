using System.Text.Json;
using CharRnn.Inference.AI;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Tests.AI;

/// <summary>
/// <see cref="CharRnnChatClient"/> driven through Microsoft.Extensions.AI's pipeline (logging and OpenTelemetry
/// middleware), its text compared with what a <see cref="Generator"/> of the same engine produces directly.
/// </summary>
public class CharRnnChatClientTests
{
    private const string TelemetrySource = "CharRnn.Tests.Chat";

    private InferenceEngine _engine = null!;

    [OneTimeSetUp]
    public void BuildEngine() => _engine = InferenceEngine.Create(
        CharRnnModel.Load(TestData.SharedData("tf-char-rnn-shakespeare-128", "model-85340.wts2"),
            new ModelLoadOptions { VocabularyPath = TestData.SharedData("tf-char-rnn-shakespeare-128", "vocab.json") }),
        new EngineOptions { Backend = Backend.Cpu });

    [OneTimeTearDown]
    public void DisposeEngine() => _engine.Dispose();

    private static IChatClient Pipeline(IGeneratorFactory generators, ILoggerFactory loggerFactory, CharRnnChatClientOptions? options = null) =>
        new ChatClientBuilder(new CharRnnChatClient(generators, options))
            .UseLogging(loggerFactory)
            .UseOpenTelemetry(loggerFactory, TelemetrySource, c => c.EnableSensitiveData = true)
            .Build();

    private string Direct(string prime, int count, GeneratorOptions options)
    {
        using var generator = _engine.CreateGenerator(options);
        generator.Prime(prime);
        return generator.Generate(count);
    }

    [Test]
    public async Task A_response_is_the_generators_sampled_continuation_and_the_middleware_sees_it()
    {
        var logs = new ListLoggerFactory();
        using var spans = new ActivityRecorder(TelemetrySource);
        var chat = Pipeline(_engine, logs);

        var response = await chat.GetResponseAsync("ROMEO:", new ChatOptions
        {
            Temperature = 0.8f, TopK = 20, TopP = 0.95f, Seed = 42, MaxOutputTokens = 150,
        });

        string expected = Direct("ROMEO:", 150, new GeneratorOptions
        {
            Sampling = new SamplingOptions { Temperature = 0.8f, TopK = 20, TopP = 0.95f },
            Seed = 42,
        });
        Assert.That(response.Text, Has.Length.EqualTo(150));
        Assert.That(response.Text, Is.EqualTo(expected));
        Assert.That(response.Messages.Single().Role, Is.EqualTo(ChatRole.Assistant));
        Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Length));
        Assert.That(response.ModelId, Is.EqualTo("charrnn"));
        Assert.That(response.Usage!.InputTokenCount, Is.EqualTo(6));
        Assert.That(response.Usage.OutputTokenCount, Is.EqualTo(150));

        // The OpenTelemetry middleware recorded one chat span with our usage; the logging middleware logged the text.
        var chatSpan = spans.Stopped.Single();
        Assert.That(chatSpan.GetTagItem("gen_ai.usage.output_tokens"), Is.EqualTo(150));
        Assert.That(chatSpan.GetTagItem("gen_ai.request.temperature"), Is.EqualTo(0.8f).Or.EqualTo(0.8));
        var completed = logs.Logger.Entries.Single(e => e.Message.StartsWith("GetResponseAsync completed: ", StringComparison.Ordinal));
        // "{MethodName} completed: {ChatResponse}." with the response as JSON.
        Assert.That(JsonStrings(completed.Message["GetResponseAsync completed: ".Length..^1]), Does.Contain(expected));
    }

    // Every string value in a JSON text (the logging middleware writes the response as JSON).
    private static List<string> JsonStrings(string json)
    {
        var found = new List<string>();
        void Walk(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.String: found.Add(e.GetString()!); break;
                case JsonValueKind.Array: foreach (var item in e.EnumerateArray()) Walk(item); break;
                case JsonValueKind.Object: foreach (var p in e.EnumerateObject()) Walk(p.Value); break;
            }
        }
        using var document = JsonDocument.Parse(json);
        Walk(document.RootElement);
        return found;
    }

    [Test]
    public async Task Another_seed_gives_other_text_and_no_options_give_greedy_text()
    {
        var chat = Pipeline(_engine, new ListLoggerFactory());
        var seven = await chat.GetResponseAsync("JULIET:", new ChatOptions { Temperature = 1f, Seed = 7, MaxOutputTokens = 80 });
        var eight = await chat.GetResponseAsync("JULIET:", new ChatOptions { Temperature = 1f, Seed = 8, MaxOutputTokens = 80 });
        Assert.That(seven.Text, Is.Not.EqualTo(eight.Text));
        Assert.That(eight.Text, Is.EqualTo(Direct("JULIET:", 80, new GeneratorOptions { Sampling = new SamplingOptions { Temperature = 1f }, Seed = 8 })));

        var greedy = await chat.GetResponseAsync("JULIET:");
        Assert.That(greedy.Text, Has.Length.EqualTo(256), "the default length");
        Assert.That(greedy.Text, Is.EqualTo(Direct("JULIET:", 256, new GeneratorOptions { Sampling = SamplingOptions.Greedy })));
    }

    [Test]
    public async Task Streaming_yields_the_generators_chunks_then_the_finish_reason_and_usage()
    {
        var chat = Pipeline(_engine, new ListLoggerFactory(), new CharRnnChatClientOptions { Generator = new GeneratorOptions { ChunkSize = 16 } });
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync("KING HENRY:", new ChatOptions { MaxOutputTokens = 100 }))
        {
            updates.Add(update);
        }

        var expected = new List<string>();
        using (var generator = _engine.CreateGenerator(new GeneratorOptions { ChunkSize = 16 }))
        {
            generator.Prime("KING HENRY:");
            await foreach (string chunk in generator.GenerateAsync(100))
            {
                expected.Add(chunk);
            }
        }
        var text = updates.Where(u => u.Text.Length > 0).Select(u => u.Text).ToList();
        Assert.That(text, Is.EqualTo(expected), "one update per generator chunk, in order");
        Assert.That(expected, Has.Count.EqualTo(7));
        Assert.That(updates[^1].FinishReason, Is.EqualTo(ChatFinishReason.Length));
        Assert.That(updates[^1].Contents.OfType<UsageContent>().Single().Details.OutputTokenCount, Is.EqualTo(100));
        Assert.That(updates.Select(u => u.ResponseId).Distinct().Count(), Is.EqualTo(1));
        Assert.That(updates.ToChatResponse().Text, Is.EqualTo(string.Concat(expected)));
    }

    [Test]
    public async Task A_conversation_primes_with_all_its_text_in_order()
    {
        var chat = Pipeline(_engine, new ListLoggerFactory());
        List<ChatMessage> conversation =
        [
            new(ChatRole.User, "ROMEO:"),
            new(ChatRole.Assistant, "\nI will not stay.\n\n"),
            new(ChatRole.User, "JULIET:"),
        ];
        var response = await chat.GetResponseAsync(conversation, new ChatOptions { Temperature = 0f, MaxOutputTokens = 120 });

        Assert.That(response.Text, Is.EqualTo(Direct("ROMEO:\nI will not stay.\n\nJULIET:", 120, new GeneratorOptions())));
        Assert.That(response.Text, Is.Not.EqualTo(Direct("JULIET:", 120, new GeneratorOptions())), "earlier messages matter");
        Assert.That(response.Usage!.InputTokenCount, Is.EqualTo("ROMEO:\nI will not stay.\n\nJULIET:".Length));
    }

    [Test]
    public async Task A_stop_sequence_ends_the_text_with_it_and_finish_reason_stop()
    {
        string greedy = Direct("ROMEO:", 300, new GeneratorOptions());
        string stop = greedy.Substring(100, 4);
        int end = greedy.IndexOf(stop, StringComparison.Ordinal) + stop.Length;

        var chat = Pipeline(_engine, new ListLoggerFactory());
        var response = await chat.GetResponseAsync("ROMEO:", new ChatOptions { Temperature = 0f, MaxOutputTokens = 300, StopSequences = [stop] });
        Assert.That(response.Text, Is.EqualTo(greedy[..end]));
        Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
    }

    [Test]
    public async Task Zero_output_tokens_give_an_empty_response()
    {
        var response = await Pipeline(_engine, new ListLoggerFactory()).GetResponseAsync("ROMEO:", new ChatOptions { MaxOutputTokens = 0 });
        Assert.That(response.Text, Is.Empty);
        Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Length));
    }

    [Test]
    public async Task Generator_options_from_the_raw_representation_factory_are_the_base_chat_options_override()
    {
        var chat = Pipeline(_engine, new ListLoggerFactory());
        var baseOptions = new GeneratorOptions { Sampling = new SamplingOptions { Temperature = 0.5f, TopK = 5 }, Seed = 3 };
        var response = await chat.GetResponseAsync("ROMEO:", new ChatOptions
        {
            RawRepresentationFactory = _ => baseOptions,
            Seed = 9,
            MaxOutputTokens = 90,
        });
        Assert.That(response.Text, Is.EqualTo(Direct("ROMEO:", 90, baseOptions with { Seed = 9 })));
    }

    private static IEnumerable<TestCaseData> Unmappable()
    {
        yield return new TestCaseData(new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] }, "ChatOptions.Tools").SetName("Tools");
        yield return new TestCaseData(new ChatOptions { ToolMode = ChatToolMode.RequireAny }, "ChatOptions.ToolMode").SetName("ToolMode");
        yield return new TestCaseData(new ChatOptions { ResponseFormat = ChatResponseFormat.Json }, "ChatOptions.ResponseFormat").SetName("JsonFormat");
        yield return new TestCaseData(new ChatOptions { FrequencyPenalty = 0.5f }, "ChatOptions.FrequencyPenalty").SetName("FrequencyPenalty");
        yield return new TestCaseData(new ChatOptions { PresencePenalty = 0.5f }, "ChatOptions.PresencePenalty").SetName("PresencePenalty");
        yield return new TestCaseData(new ChatOptions { Instructions = "Be brief." }, "ChatOptions.Instructions").SetName("Instructions");
        yield return new TestCaseData(new ChatOptions { ModelId = "gpt-4o" }, "ChatOptions.ModelId").SetName("OtherModel");
        yield return new TestCaseData(new ChatOptions { ConversationId = "c1" }, "ChatOptions.ConversationId").SetName("ConversationId");
        yield return new TestCaseData(new ChatOptions { AdditionalProperties = new() { ["repetition_penalty"] = 1.2 } }, "ChatOptions.AdditionalProperties").SetName("AdditionalProperties");
        yield return new TestCaseData(new ChatOptions { RawRepresentationFactory = _ => "not options" }, "ChatOptions.RawRepresentationFactory").SetName("RawRepresentation");
    }

    [TestCaseSource(nameof(Unmappable))]
    public void Options_that_cannot_map_are_refused_with_a_typed_error_naming_them(ChatOptions options, string feature)
    {
        var chat = Pipeline(_engine, new ListLoggerFactory());
        var e = Assert.ThrowsAsync<UnsupportedChatRequestException>(() => chat.GetResponseAsync("ROMEO:", options))!;
        Assert.That(e.Feature, Is.EqualTo(feature));
        Assert.That(e.Message, Does.StartWith(feature + " is set but cannot be honoured: "));
        Assert.That(e, Is.InstanceOf<CharRnnException>());
    }

    [Test]
    public void System_messages_and_images_are_refused_and_unknown_characters_name_the_vocabulary()
    {
        var chat = Pipeline(_engine, new ListLoggerFactory());
        var system = Assert.ThrowsAsync<UnsupportedChatRequestException>(() => chat.GetResponseAsync(
            [new ChatMessage(ChatRole.System, "You are Shakespeare."), new ChatMessage(ChatRole.User, "ROMEO:")]))!;
        Assert.That(system.Message, Does.Contain("Message 0 has role 'system'"));

        var image = Assert.ThrowsAsync<UnsupportedChatRequestException>(() => chat.GetResponseAsync(
            [new ChatMessage(ChatRole.User, [new TextContent("ROMEO:"), new DataContent(new byte[] { 1 }, "image/png")])]))!;
        Assert.That(image.Message, Does.Contain("DataContent"));

        Assert.ThrowsAsync<VocabularyException>(() => chat.GetResponseAsync("ROMEO: \u00e9t\u00e9"));
        Assert.ThrowsAsync<ArgumentException>(() => chat.GetResponseAsync([new ChatMessage(ChatRole.User, "")]));
    }

    [Test]
    public async Task Cancelling_a_stream_stops_it_between_chunks()
    {
        var chat = Pipeline(_engine, new ListLoggerFactory(), new CharRnnChatClientOptions { Generator = new GeneratorOptions { ChunkSize = 8 } });
        using var cancel = new CancellationTokenSource();
        var received = new List<string>();
        Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () =>
        {
            await foreach (var update in chat.GetStreamingResponseAsync("ROMEO:", new ChatOptions { MaxOutputTokens = 10_000 }, cancel.Token))
            {
                received.Add(update.Text);
                await cancel.CancelAsync();
            }
        });
        Assert.That(received, Has.Count.EqualTo(1));
        Assert.That(received[0], Is.EqualTo(Direct("ROMEO:", 8, new GeneratorOptions())));

        using var already = new CancellationTokenSource();
        await already.CancelAsync();
        Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), () => chat.GetResponseAsync("ROMEO:", cancellationToken: already.Token));
    }

    [Test]
    public async Task Each_request_gets_its_own_generator_from_the_factory()
    {
        var factory = new CountingFactory(_engine);
        var chat = Pipeline(factory, new ListLoggerFactory());
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            chat.GetResponseAsync("ROMEO:", new ChatOptions { Temperature = 1f, Seed = i, MaxOutputTokens = 60 })));
        Assert.That(factory.Created, Is.EqualTo(4));
        for (int i = 0; i < 4; i++)
        {
            Assert.That(responses[i].Text, Is.EqualTo(Direct("ROMEO:", 60, new GeneratorOptions { Sampling = new SamplingOptions { Temperature = 1f }, Seed = (ulong)i })), $"request {i}");
        }
        Assert.That(chat.GetService<ChatClientMetadata>()!.DefaultModelId, Is.EqualTo("charrnn"));
        Assert.That(chat.GetService<IGeneratorFactory>(), Is.SameAs(factory));
    }

    private sealed class CountingFactory(IGeneratorFactory inner) : IGeneratorFactory
    {
        private int _created;

        public int Created => _created;

        public Generator CreateGenerator(GeneratorOptions? options = null)
        {
            Interlocked.Increment(ref _created);
            return inner.CreateGenerator(options);
        }
    }
}
