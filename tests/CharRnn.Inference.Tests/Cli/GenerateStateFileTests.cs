using CharRnn.Cli;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Cli;

/// <summary>
/// <c>charrnn generate --state FILE</c>: a conversation continued across runs gives the text of one run (greedy against the
/// float64 reference, sampled against the library), and a file that cannot be used stops the run with one line on
/// stderr, nothing on stdout and the file as it was.
/// </summary>
public class GenerateStateFileTests
{
    private CharRnnModel _fixture = null!;
    private string _folder = null!;
    private string _state = null!;

    [OneTimeSetUp]
    public void Load() => _fixture = CharRnnModel.Load(CliRunner.FixtureWts, new ModelLoadOptions { VocabularyPath = CliRunner.FixtureVocab });

    [SetUp]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), "charrnn-state-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _state = Path.Combine(_folder, "chat.snap");
    }

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static async Task<CliResult> Generate(params string[] args)
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, .. args]);
        Assert.That(result.ExitCode, Is.EqualTo(CliApplication.ExitOk), result.ToString());
        return result;
    }

    [Test]
    public async Task Greedy_100_in_one_run_equals_50_and_50_through_the_file()
    {
        var first = await Generate("--prime", "ROMEO", "--length", "50", "--greedy", "--state", _state);
        Assert.That(File.Exists(_state), "the state was saved");
        var second = await Generate("--length", "50", "--greedy", "--state", _state);

        string reference = _fixture.Vocabulary.Decode(new TfLstmReference(_fixture).Greedy(_fixture.Vocabulary.Encode("ROMEO"), 100));
        Assert.That(first.Stdout, Is.EqualTo("ROMEO" + reference[..50]));
        Assert.That(second.Stdout, Is.EqualTo(reference[50..]), "the second run prints only its generated text: no default prime");
        Assert.That(first.Stderr + second.Stderr, Is.Empty);
    }

    [Test]
    public async Task Sampled_with_a_seed_continues_and_takes_the_saved_sampling_and_seed_when_not_given()
    {
        string[] sampling = ["--temperature", "1", "--top-k", "20", "--seed", "7"];
        var whole = await Generate(["--prime", "JULIET", "--length", "120", .. sampling]);

        var first = await Generate(["--prime", "JULIET", "--length", "60", .. sampling, "--state", _state]);
        var second = await Generate("--length", "60", "--state", _state);

        Assert.That(first.Stdout + second.Stdout, Is.EqualTo(whole.Stdout));
        var snapshot = GeneratorSnapshot.FromBytes(File.ReadAllBytes(_state));
        Assert.That(snapshot.Position, Is.EqualTo(120));
        Assert.That(snapshot.Seed, Is.EqualTo(7));
        Assert.That(snapshot.Sampling, Is.EqualTo(new SamplingOptions { Temperature = 1f, TopK = 20 }));
    }

    [Test]
    public async Task A_prime_given_to_a_saved_conversation_is_fed_after_it_and_printed()
    {
        string[] sampling = ["--temperature", "0.9", "--seed", "3"];
        var first = await Generate(["--prime", "KING", "--length", "40", .. sampling, "--state", _state]);
        var second = await Generate(["--prime", "\nQUEEN:", "--length", "30", .. sampling, "--state", _state]);

        using var engine = InferenceEngine.Create(_fixture, new EngineOptions { Backend = Backend.Cpu });
        using var generator = engine.CreateGenerator(new GeneratorOptions { Sampling = new SamplingOptions { Temperature = 0.9f }, Seed = 3 });
        generator.Prime("KING");
        string expectedFirst = generator.Generate(40);
        generator.Prime("\nQUEEN:");
        Assert.That(first.Stdout, Is.EqualTo("KING" + expectedFirst));
        Assert.That(second.Stdout, Is.EqualTo("\nQUEEN:" + generator.Generate(30)));
    }

    [Test]
    public async Task A_cancelled_run_saves_the_state_of_the_text_it_printed()
    {
        using var cancel = new CancellationTokenSource();
        var stdout = new CancellingWriter(cancel, writesBeforeCancel: 3);
        var cancelled = await CliRunner.RunAsync(cancel.Token, stdout, [.. CliRunner.FixtureGenerate, "--prime", "ROMEO", "--length", "5000", "--greedy", "--state", _state]);
        Assert.That(cancelled.ExitCode, Is.EqualTo(CliApplication.ExitCancelled), cancelled.ToString());
        int printed = cancelled.Stdout.Length - 5;
        Assert.That(printed, Is.InRange(1, 4999));
        Assert.That(GeneratorSnapshot.FromBytes(File.ReadAllBytes(_state)).Position, Is.EqualTo(printed));

        var next = await Generate("--length", "30", "--state", _state);
        string reference = _fixture.Vocabulary.Decode(new TfLstmReference(_fixture).Greedy(_fixture.Vocabulary.Encode("ROMEO"), printed + 30));
        Assert.That(cancelled.Stdout + next.Stdout, Is.EqualTo("ROMEO" + reference));
    }

    [Test]
    public async Task A_damaged_file_is_named_and_left_as_it_was()
    {
        await Generate("--prime", "ROMEO", "--length", "20", "--greedy", "--state", _state);
        var bytes = File.ReadAllBytes(_state);
        bytes[100] ^= 0x01;
        File.WriteAllBytes(_state, bytes);

        await ExpectRefused("damaged");
        Assert.That(File.ReadAllBytes(_state), Is.EqualTo(bytes));
    }

    [TestCase(0)]
    [TestCase(50)]
    [TestCase(300)]
    public async Task A_truncated_file_is_named_and_left_as_it_was(int length)
    {
        await Generate("--prime", "ROMEO", "--length", "20", "--greedy", "--state", _state);
        var bytes = File.ReadAllBytes(_state)[..length];
        File.WriteAllBytes(_state, bytes);

        await ExpectRefused("truncated");
        Assert.That(File.ReadAllBytes(_state), Is.EqualTo(bytes));
    }

    [Test]
    public async Task A_file_that_is_not_a_snapshot_is_named()
    {
        File.WriteAllText(_state, "ROMEO: hello");
        await ExpectRefused("not a generator snapshot");
    }

    [Test]
    public async Task A_snapshot_followed_by_other_bytes_is_refused()
    {
        await Generate("--prime", "ROMEO", "--length", "5", "--greedy", "--state", _state);
        byte[] bytes = [.. File.ReadAllBytes(_state), (byte)'x'];
        File.WriteAllBytes(_state, bytes);
        await ExpectRefused("1 bytes follow the snapshot's end");
        Assert.That(File.ReadAllBytes(_state), Is.EqualTo(bytes));
    }

    [TestCase(32, "hidden size 32 in the snapshot, 128 in the engine")]
    [TestCase(128, "weights or vocabulary differ")]
    public async Task Another_models_file_is_named_and_left_as_it_was(int hidden, string expected)
    {
        using var engine = InferenceEngine.Create(RandomModels.Model(2, hidden, 65, null, seed: 4), new EngineOptions { Backend = Backend.Cpu });
        using var generator = engine.CreateGenerator();
        generator.Prime("ROMEO");
        var bytes = generator.Snapshot().ToBytes();
        File.WriteAllBytes(_state, bytes);

        await ExpectRefused(expected);
        Assert.That(File.ReadAllBytes(_state), Is.EqualTo(bytes));
    }

    [Test]
    public async Task A_missing_folder_is_refused_before_generating()
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--state", Path.Combine(_folder, "absent", "chat.snap")]);
        Assert.That(result.ExitCode, Is.EqualTo(CliApplication.ExitBadInput), result.ToString());
        Assert.That(result.Stdout, Is.Empty);
        Assert.That(result.Stderr, Does.Contain("does not exist"));
    }

    private async Task ExpectRefused(string expected)
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--length", "10", "--state", _state]);
        Assert.That(result.ExitCode, Is.EqualTo(CliApplication.ExitBadInput), result.ToString());
        Assert.That(result.Stdout, Is.Empty);
        Assert.That(result.StderrLines, Has.Length.EqualTo(1), result.Stderr);
        Assert.That(result.Stderr, Does.StartWith("charrnn: error: --state '").And.Contain(expected));
        Assert.That(Directory.GetFiles(_folder), Has.Length.EqualTo(1), "no temporary file left behind");
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
