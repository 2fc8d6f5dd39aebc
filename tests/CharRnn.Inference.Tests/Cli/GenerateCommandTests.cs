using CharRnn.Cli;
using CharRnn.Inference.DefaultModel;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Cli;

/// <summary>
/// The stdout contract of <c>charrnn generate</c> (DESIGN.md "Command line"): exactly the prime followed by the
/// generated characters, nothing else, no newline added; checked against the float64 reference and the library.
/// </summary>
public class GenerateCommandTests
{
    private CharRnnModel _fixture = null!;

    [OneTimeSetUp]
    public void Load() => _fixture = CharRnnModel.Load(CliRunner.FixtureWts, new ModelLoadOptions { VocabularyPath = CliRunner.FixtureVocab });

    private string ReferenceGreedy(string prime, int length) =>
        _fixture.Vocabulary.Decode(new TfLstmReference(_fixture).Greedy(_fixture.Vocabulary.Encode(prime), length));

    [TestCase("ROMEO", 50)]
    [TestCase("interestingly, it was J", 123)]
    [TestCase("J", 1)]
    public async Task Greedy_stdout_is_the_prime_then_the_reference_continuation(string prime, int length)
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime", prime, "--length", length.ToString(), "--greedy"]);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stdout, Is.EqualTo(prime + ReferenceGreedy(prime, length)));
        Assert.That(result.Stdout, Has.Length.EqualTo(prime.Length + length));
        Assert.That(result.Stderr, Is.Empty);
    }

    [Test]
    public async Task Verbose_adds_only_to_stderr()
    {
        string[] args = [.. CliRunner.FixtureGenerate, "--prime", "KING", "--length", "40", "--greedy"];
        var quiet = await CliRunner.RunAsync(args);
        var verbose = await CliRunner.RunAsync([.. args, "--verbose"]);

        Assert.That(verbose.ExitCode, Is.EqualTo(0), verbose.ToString());
        Assert.That(verbose.Stdout, Is.EqualTo(quiet.Stdout));
        Assert.That(verbose.Stdout, Has.Length.EqualTo(44));
        Assert.That(verbose.StderrLines, Has.Length.EqualTo(1), "one timing summary line");
        Assert.That(verbose.Stderr, Does.StartWith("charrnn: 40 chars in ").And.Contain("us/char").And.Contain("on Cpu"));
    }

    [Test]
    public async Task Greedy_is_deterministic()
    {
        string[] args = [.. CliRunner.FixtureGenerate, "--prime", "The K", "--length", "80", "--greedy"];
        var first = await CliRunner.RunAsync(args);
        var second = await CliRunner.RunAsync(args);
        Assert.That(first.ExitCode, Is.EqualTo(0), first.ToString());
        Assert.That(second.Stdout, Is.EqualTo(first.Stdout));
    }

    [Test]
    public async Task Default_sampling_is_temperature_0_8_with_seed_0()
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime", "ROMEO", "--length", "150"]);

        using var engine = InferenceEngine.Create(_fixture, new EngineOptions { Backend = Backend.Cpu });
        using var generator = engine.CreateGenerator(new GeneratorOptions { Sampling = new SamplingOptions { Temperature = 0.8f }, Seed = 0 });
        generator.Prime("ROMEO");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stdout, Is.EqualTo("ROMEO" + generator.Generate(150)));
        Assert.That(result.Stdout, Is.Not.EqualTo("ROMEO" + ReferenceGreedy("ROMEO", 150)), "sampling, not argmax");
    }

    [Test]
    public async Task Same_seed_repeats_and_different_seeds_differ()
    {
        string[] args = [.. CliRunner.FixtureGenerate, "--prime", "JUL", "--length", "200", "--temperature", "1"];
        var seven = await CliRunner.RunAsync([.. args, "--seed", "7"]);
        var sevenAgain = await CliRunner.RunAsync([.. args, "--seed", "7"]);
        var eight = await CliRunner.RunAsync([.. args, "--seed", "8"]);

        Assert.That(seven.ExitCode, Is.EqualTo(0), seven.ToString());
        Assert.That(sevenAgain.Stdout, Is.EqualTo(seven.Stdout));
        Assert.That(eight.Stdout, Is.Not.EqualTo(seven.Stdout));
        Assert.That(eight.Stdout, Has.Length.EqualTo(203).And.StartWith("JUL"));
    }

    [Test]
    public async Task Top_k_1_is_greedy()
    {
        var topK = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime", "Hi", "--length", "60", "--top-k", "1", "--seed", "3"]);
        Assert.That(topK.ExitCode, Is.EqualTo(0), topK.ToString());
        Assert.That(topK.Stdout, Is.EqualTo("Hi" + ReferenceGreedy("Hi", 60)));
    }

    [Test]
    public async Task Length_zero_prints_only_the_prime()
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime", "ROMEO", "--length", "0"]);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stdout, Is.EqualTo("ROMEO"));
    }

    [Test]
    public async Task Skipped_unknown_characters_are_echoed_but_not_fed()
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime", "RO#MEO", "--length", "30", "--greedy", "--unknown-chars", "skip"]);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stdout, Is.EqualTo("RO#MEO" + ReferenceGreedy("ROMEO", 30)));
    }

    [Test]
    public async Task Forget_bias_option_reaches_the_engine()
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime", "ROMEO", "--length", "60", "--greedy", "--forget-bias", "1"]);
        string expected = _fixture.Vocabulary.Decode(new TfLstmReference(_fixture, forgetBias: 1.0).Greedy(_fixture.Vocabulary.Encode("ROMEO"), 60));
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stdout, Is.EqualTo("ROMEO" + expected));
    }

    [Test]
    public async Task Checkpoint_prefix_generates_what_the_wts_export_does()
    {
        string prefix = Path.Combine(Path.GetDirectoryName(CliRunner.FixtureWts)!, "model-85340");
        var result = await CliRunner.RunAsync("generate", "--model", prefix, "--vocab", CliRunner.FixtureVocab, "--prime", "KING", "--length", "70", "--greedy");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stdout, Is.EqualTo("KING" + ReferenceGreedy("KING", 70)));
    }

    [Test]
    public async Task Without_model_the_embedded_default_model_generates_from_ROMEO_colon()
    {
        var result = await CliRunner.RunAsync("generate", "--greedy", "--length", "40");

        using var engine = InferenceEngine.Create(TinyShakespeareModel.Instance, new EngineOptions { Backend = Backend.Cpu });
        using var generator = engine.CreateGenerator();
        generator.Prime(GenerateCommand.DefaultPrime);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(GenerateCommand.DefaultPrime, Is.EqualTo("ROMEO:"));
        Assert.That(result.Stdout, Is.EqualTo("ROMEO:" + generator.Generate(40)));
    }

    [Test]
    public async Task Default_length_is_200()
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime", "A"]);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stdout, Has.Length.EqualTo(201));
    }

    [Test]
    public async Task Cancellation_stops_cleanly_with_exit_130_and_keeps_the_text_so_far()
    {
        using var cancel = new CancellationTokenSource();
        // Cancels as soon as the first generated chunk arrives (the prime is written first).
        var stdout = new CancellingWriter(cancel, writesBeforeCancel: 2);
        var result = await CliRunner.RunAsync(cancel.Token, stdout, [.. CliRunner.FixtureGenerate, "--prime", "ROMEO", "--length", "5000", "--greedy"]);

        Assert.That(result.ExitCode, Is.EqualTo(130), result.ToString());
        Assert.That(result.Stdout, Has.Length.GreaterThan(5).And.Length.LessThan(5005));
        Assert.That(("ROMEO" + ReferenceGreedy("ROMEO", result.Stdout.Length - 5)), Is.EqualTo(result.Stdout), "a prefix of the full text");
        Assert.That(result.StderrLines, Is.EqualTo(new[] { "charrnn: cancelled" }));
    }

    // 1 / 1e-39 overflows float32: the run is the argmax, not "Specified argument was out of the range".
    [Test]
    public async Task A_temperature_too_small_to_invert_generates_the_argmax()
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime", "ROMEO", "--length", "30", "--temperature", "1e-39"]);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stdout, Is.EqualTo("ROMEO" + ReferenceGreedy("ROMEO", 30)));
    }

    private sealed class CancellingWriter(CancellationTokenSource cancel, int writesBeforeCancel) : StringWriter
    {
        private int _writes;

        public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            if (++_writes == writesBeforeCancel)
            {
                cancel.Cancel();
            }
            return Task.CompletedTask;
        }
    }
}
