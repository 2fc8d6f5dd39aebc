using System.Text;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Cli;

/// <summary>
/// Where <c>charrnn generate</c> takes its prime from: <c>--prime</c> exactly as typed (no response files), or
/// <c>--prime-file</c> for long primes, which are fed in pieces so that cancellation is honoured within the prime.
/// </summary>
public class GeneratePrimeTests
{
    private string _temp = null!;
    private CharRnnModel _fixture = null!;

    [OneTimeSetUp]
    public void Load() => _fixture = CharRnnModel.Load(CliRunner.FixtureWts, new ModelLoadOptions { VocabularyPath = CliRunner.FixtureVocab });

    [SetUp]
    public void CreateTemp() => _temp = Directory.CreateTempSubdirectory("charrnn-prime-").FullName;

    [TearDown]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    private string ReferenceGreedy(string prime, int length) =>
        _fixture.Vocabulary.Decode(new TfLstmReference(_fixture).Greedy(_fixture.Vocabulary.Encode(prime), length));

    // A text of the fixture's characters, several prime pieces long.
    private static string LongPrime(int length)
    {
        string text = File.ReadAllText(TestData.SharedData("tinyshakespeare.txt"));
        return text[..length];
    }

    [Test]
    public async Task A_prime_starting_with_at_is_text_not_a_response_file()
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime", "@ROMEO", "--length", "20", "--greedy", "--unknown-chars", "skip"]);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stdout, Is.EqualTo("@ROMEO" + ReferenceGreedy("ROMEO", 20)));
    }

    [Test]
    public async Task A_prime_naming_an_existing_file_after_at_is_not_read()
    {
        string path = Path.Combine(_temp, "prime.txt");
        File.WriteAllText(path, "KING");
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime", "@" + path, "--length", "5", "--greedy", "--unknown-chars", "skip"]);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stdout, Does.StartWith("@" + path), "the argument itself is the prime");
        Assert.That(result.Stdout, Does.Not.StartWith("KING"));
    }

    [Test]
    public async Task Prime_file_primes_in_pieces_like_one_prime_and_shows_progress()
    {
        string prime = LongPrime(3 * 4096 + 123);
        string path = Path.Combine(_temp, "prime.txt");
        File.WriteAllText(path, prime, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

        var result = await CliRunner.RunAsync([.. CliRunner.FixtureModel.Prepend("generate"), "--prime-file", path, "--length", "40", "--seed", "5", "--progress"]);

        using var engine = InferenceEngine.Create(_fixture, new EngineOptions { Backend = Backend.Cpu });
        using var generator = engine.CreateGenerator(new GeneratorOptions { Sampling = new SamplingOptions { Temperature = 0.8f }, Seed = 5 });
        generator.Prime(prime);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stdout, Is.EqualTo(prime + generator.Generate(40)), "the same state as one Prime call");
        Assert.That(result.Stderr, Does.Contain("priming characters 12,411/12,411"));
    }

    [Test]
    public async Task Prime_and_prime_file_together_are_a_usage_error()
    {
        string path = Path.Combine(_temp, "prime.txt");
        File.WriteAllText(path, "KING");
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime", "A", "--prime-file", path]);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.Contain("--prime-file"));
    }

    [Test]
    public async Task A_directory_as_prime_file_is_named_as_a_directory()
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime-file", _temp]);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StderrLines, Has.Length.EqualTo(1));
        Assert.That(result.Stderr, Does.Contain(_temp).And.Contain("is a directory"));
    }

    [Test]
    public async Task Unknown_characters_in_a_prime_file_are_reported_at_their_place_in_the_whole_prime()
    {
        string prime = LongPrime(2 * 4096) + "#";
        string path = Path.Combine(_temp, "prime.txt");
        File.WriteAllText(path, prime);
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime-file", path]);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain($"'#' at {2 * 4096}"));
        Assert.That(result.Stdout, Is.Empty);
    }

    // Ctrl+C while a long prime is fed: the run ends within a piece of the prime, not after all of it.
    [Test]
    public async Task Cancellation_during_a_long_prime_stops_within_a_piece()
    {
        string prime = LongPrime(40 * 4096);
        string path = Path.Combine(_temp, "prime.txt");
        File.WriteAllText(path, prime);
        using var cancel = new CancellationTokenSource();
        // Cancels when the progress line shows the first piece fed.
        var stderr = new CancelOnText(cancel, "priming characters 4,096/");
        var stdout = new StringWriter();
        int exit = await CharRnn.Cli.CliApplication.RunAsync(
            [.. CliRunner.FixtureGenerate, "--prime-file", path, "--length", "10", "--progress"], stdout, stderr, cancel.Token);

        Assert.That(exit, Is.EqualTo(130), stderr.ToString());
        Assert.That(stdout.ToString(), Is.Empty, "nothing written before the prime has been fed");
        Assert.That(stderr.ToString(), Does.Contain("priming characters 4,096/"));
        Assert.That(stderr.ToString(), Does.Not.Contain($"priming characters {prime.Length:N0}/"), "stopped before the end of the prime");
        Assert.That(stderr.ToString(), Does.EndWith("charrnn: cancelled" + Environment.NewLine));
    }

    private sealed class CancelOnText(CancellationTokenSource cancel, string text) : StringWriter
    {
        public override void Write(string? value)
        {
            base.Write(value);
            if (value is not null && value.Contains(text, StringComparison.Ordinal))
            {
                cancel.Cancel();
            }
        }
    }
}
