using System.Globalization;
using System.Text.RegularExpressions;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Cli;

/// <summary><c>charrnn score</c>: the perplexity is the last number on stdout and equals the library's and the float64 reference's.</summary>
public class ScoreCommandTests
{
    private string _textFile = null!;
    private string _text = null!;

    [OneTimeSetUp]
    public void WriteText()
    {
        _text = File.ReadAllText(TestData.SharedData("tinyshakespeare.txt"))[..3000];
        _textFile = Path.Combine(Path.GetTempPath(), $"charrnn-score-{Guid.NewGuid():N}.txt");
        File.WriteAllText(_textFile, _text);
    }

    [OneTimeTearDown]
    public void DeleteText() => File.Delete(_textFile);

    private static double[] Numbers(string stdout) =>
        [.. Regex.Matches(stdout, @"-?\d+(\.\d+)?(E[-+]?\d+)?").Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture))];

    [Test]
    public async Task Progress_goes_to_stderr_only_and_reaches_every_character()
    {
        var plain = await CliRunner.RunAsync(["score", .. CliRunner.FixtureModel, "--text", _textFile]);
        var withProgress = await CliRunner.RunAsync(["score", .. CliRunner.FixtureModel, "--text", _textFile, "--progress"]);
        Assert.That(withProgress.ExitCode, Is.EqualTo(0), withProgress.ToString());
        Assert.That(withProgress.Stdout, Is.EqualTo(plain.Stdout));
        Assert.That(plain.Stderr, Does.Not.Contain("scoring"));
        Assert.That(withProgress.Stderr, Does.Contain("building the engine").And.Contain("engine ready")
            .And.Contain($"scoring characters {_text.Length - 1:N0}/{_text.Length - 1:N0} (100%)"));
    }

    [Test]
    public async Task Last_number_is_the_perplexity_the_generator_computes()
    {
        var result = await CliRunner.RunAsync(["score", .. CliRunner.FixtureModel, "--text", _textFile]);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());

        var model = CharRnnModel.Load(CliRunner.FixtureWts, new ModelLoadOptions { VocabularyPath = CliRunner.FixtureVocab });
        using var engine = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
        using var generator = engine.CreateGenerator();
        var score = generator.Score(_text);
        double[] numbers = Numbers(result.Stdout);
        double perplexity = numbers[^1];

        Assert.That(perplexity, Is.EqualTo(score.Perplexity), "printed with round-trip precision");
        Assert.That(perplexity, Is.GreaterThan(1.0).And.LessThan(65.0));
        Assert.That(numbers, Does.Contain(score.LogLikelihood));
        Assert.That(numbers, Does.Contain(score.BitsPerCharacter));
        Assert.That(result.Stdout, Does.EndWith("\n").And.Contain("perplexity: "));

        // Independent check: the float64 TensorFlow-layout reference.
        double reference = new TfLstmReference(model).LogLikelihood(model.Vocabulary.Encode(_text));
        Assert.That(perplexity, Is.EqualTo(Math.Exp(-reference / (_text.Length - 1))).Within(1e-4).Percent);
    }

    [Test]
    public async Task Checkpoint_prefix_scores_like_the_wts_export()
    {
        string prefix = Path.Combine(Path.GetDirectoryName(CliRunner.FixtureWts)!, "model-85340");
        var fromWts = await CliRunner.RunAsync(["score", .. CliRunner.FixtureModel, "--text", _textFile]);
        var fromCheckpoint = await CliRunner.RunAsync("score", "--model", prefix, "--vocab", CliRunner.FixtureVocab, "--text", _textFile);
        Assert.That(fromCheckpoint.ExitCode, Is.EqualTo(0), fromCheckpoint.ToString());
        Assert.That(fromCheckpoint.Stdout, Is.EqualTo(fromWts.Stdout));
    }

    [Test]
    public async Task Embedded_model_scores_tiny_shakespeare_well()
    {
        var result = await CliRunner.RunAsync("score", "--text", _textFile);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        // The opening of tiny Shakespeare is training text for the default model: well under its test perplexity of ~4.5.
        Assert.That(Numbers(result.Stdout)[^1], Is.GreaterThan(1.0).And.LessThan(4.5));
    }
}
