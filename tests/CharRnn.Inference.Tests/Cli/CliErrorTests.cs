namespace CharRnn.Inference.Tests.Cli;

/// <summary>
/// Bad input ends with a non-zero exit code, exactly one line on stderr (<c>charrnn: error: ...</c>) naming the problem,
/// no stack trace, and nothing on stdout. 1 is bad input, 2 a wrong command line.
/// </summary>
public class CliErrorTests
{
    private string _temp = null!;

    [SetUp]
    public void CreateTemp() => _temp = Directory.CreateTempSubdirectory("charrnn-cli-").FullName;

    [TearDown]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    private static void AssertOneLineError(CliResult result, int exitCode, params string[] fragments)
    {
        Assert.That(result.ExitCode, Is.EqualTo(exitCode), result.ToString());
        Assert.That(result.Stdout, Is.Empty, "nothing on stdout");
        Assert.That(result.StderrLines, Has.Length.EqualTo(1), result.Stderr);
        Assert.That(result.Stderr, Does.StartWith("charrnn: error: "));
        Assert.That(result.Stderr, Does.Not.Contain("   at "), "no stack trace");
        foreach (string fragment in fragments)
        {
            Assert.That(result.Stderr, Does.Contain(fragment));
        }
    }

    [Test]
    public async Task Missing_model_file()
    {
        string path = Path.Combine(_temp, "absent.wts");
        AssertOneLineError(await CliRunner.RunAsync("generate", "--model", path), 1, path);
    }

    [Test]
    public async Task Malformed_model_file()
    {
        string path = Path.Combine(_temp, "garbage.wts");
        File.WriteAllBytes(path, [.. "3\nthis is not (a weight) file\n"u8, 0xFF, 0x00, 0x13]);
        AssertOneLineError(await CliRunner.RunAsync("generate", "--model", path), 1, path);
    }

    [Test]
    public async Task Random_bytes_as_model_file()
    {
        string path = Path.Combine(_temp, "random.wts");
        var bytes = new byte[4096];
        new Random(5).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        AssertOneLineError(await CliRunner.RunAsync("inspect", "--model", path), 1, path);
    }

    [Test]
    public async Task Unknown_characters_in_the_prime()
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime", "ROMÉO", "--length", "10"]);
        AssertOneLineError(result, 1, "U+00C9", "at 3", "--unknown-chars");
    }

    [Test]
    public async Task Prime_of_only_unknown_characters_under_skip()
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--prime", "###", "--unknown-chars", "skip"]);
        AssertOneLineError(result, 1, "--prime");
    }

    [Test]
    public async Task Greedy_with_temperature() =>
        AssertOneLineError(await CliRunner.RunAsync("generate", "--greedy", "--temperature", "0.5"), 2, "--greedy", "--temperature");

    [Test]
    public async Task Greedy_with_top_k() =>
        AssertOneLineError(await CliRunner.RunAsync("generate", "--greedy", "--top-k", "5"), 2, "--top-k");

    [Test]
    public async Task Negative_length() =>
        AssertOneLineError(await CliRunner.RunAsync("generate", "--length", "-1"), 2, "--length");

    [TestCase("--temperature", "-0.5", "--temperature")]
    [TestCase("--temperature", "NaN", "--temperature")]
    [TestCase("--top-p", "0", "--top-p")]
    [TestCase("--top-p", "1.5", "--top-p")]
    [TestCase("--top-k", "-2", "--top-k")]
    [TestCase("--length", "many", "--length")]
    [TestCase("--seed", "-1", "--seed")]
    [TestCase("--forget-bias", "Infinity", "--forget-bias")]
    [TestCase("--backend", "gpu", "'gpu'")]
    [TestCase("--unknown-chars", "ignore", "'ignore'")]
    [TestCase("--prime", "", "--prime")]
    public async Task Bad_option_values_are_usage_errors(string option, string value, string named) =>
        AssertOneLineError(await CliRunner.RunAsync("generate", option, value), 2, named);

    [Test]
    public async Task Cuda_backend_without_a_GPU_package()
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--backend", "cuda"]);
        AssertOneLineError(result, 1, "Cuda");
    }

    [Test]
    public async Task Tensorrt_backend_without_its_package()
    {
        var result = await CliRunner.RunAsync([.. CliRunner.FixtureGenerate, "--backend", "tensorrt"]);
        AssertOneLineError(result, 1, "TensorRT");
    }

    [Test]
    public async Task Missing_text_file_for_score()
    {
        string path = Path.Combine(_temp, "absent.txt");
        AssertOneLineError(await CliRunner.RunAsync([.. ScoreArgs(), "--text", path]), 1, path);
    }

    [Test]
    public async Task Score_without_text_option() =>
        AssertOneLineError(await CliRunner.RunAsync(ScoreArgs()), 2, "--text");

    [Test]
    public async Task Score_of_a_single_character()
    {
        string path = Path.Combine(_temp, "one.txt");
        File.WriteAllText(path, "A");
        AssertOneLineError(await CliRunner.RunAsync([.. ScoreArgs(), "--text", path]), 1, "two");
    }

    [Test]
    public async Task Vocabulary_file_missing()
    {
        string path = Path.Combine(_temp, "vocab.json");
        AssertOneLineError(await CliRunner.RunAsync("generate", "--model", CliRunner.FixtureWts, "--vocab", path), 1, path);
    }

    [Test]
    public async Task Vocabulary_file_malformed()
    {
        string path = Path.Combine(_temp, "vocab.json");
        File.WriteAllText(path, "{\"a\": 0, \"b\": ");
        AssertOneLineError(await CliRunner.RunAsync("generate", "--model", CliRunner.FixtureWts, "--vocab", path), 1, path);
    }

    [Test]
    public async Task Vocab_without_model() =>
        AssertOneLineError(await CliRunner.RunAsync("generate", "--vocab", CliRunner.FixtureVocab), 2, "--vocab", "--model");

    [Test]
    public async Task Unknown_option() =>
        AssertOneLineError(await CliRunner.RunAsync("generate", "--colour", "red"), 2, "--colour");

    [Test]
    public async Task No_command() =>
        AssertOneLineError(await CliRunner.RunAsync(), 2);

    [Test]
    public async Task Convert_to_v1_float16() =>
        AssertOneLineError(await CliRunner.RunAsync("convert", "--model", CliRunner.FixtureWts, "--out", Path.Combine(_temp, "x.wts"),
            "--format", "v1", "--dtype", "float16"), 2, "v1");

    [Test]
    public async Task Convert_of_a_file_that_is_not_a_char_rnn()
    {
        string path = Path.Combine(_temp, "other.wts");
        File.WriteAllText(path, "1\nconv1_weight 0 (2,) \0\0\0\0\0\0\0\0\n");
        string output = Path.Combine(_temp, "out.wts");
        AssertOneLineError(await CliRunner.RunAsync("convert", "--model", path, "--out", output), 1);
        Assert.That(File.Exists(output), Is.False, "nothing written");
    }

    private static string[] ScoreArgs() => ["score", "--model", CliRunner.FixtureWts, "--vocab", CliRunner.FixtureVocab];

    // A directory where a file is expected: the runtime's own message is "Access to the path is denied".
    [TestCase("generate", "--model")]
    [TestCase("inspect", "--model")]
    [TestCase("score", "--text")]
    public async Task A_directory_given_for_a_file_is_named_as_a_directory(string command, string option)
    {
        string[] args = command == "score" ? [.. ScoreArgs(), option, _temp] : [command, option, _temp];
        AssertOneLineError(await CliRunner.RunAsync(args), 1, _temp, "is a directory");
    }

    [Test]
    public async Task Non_finite_weights_name_the_cli_flag_that_loads_them()
    {
        string path = Path.Combine(_temp, "nan.wts");
        var weights = Inference.Weights.WeightLoader.Load(CliRunner.FixtureWts,
            new Inference.Weights.WeightLoadOptions { Include = Inference.Model.TfVariableNames.IsInferenceTensor });
        Inference.Weights.WeightFileWriter.Write(path, weights.Select(t => t.Name == "softmax_softmax_b"
            ? new Inference.Weights.WeightTensor(t.Name, t.Shape, [float.NaN, .. t.Values[1..].ToArray()])
            : t), Inference.Weights.WeightFileFormat.WtsV2);

        AssertOneLineError(await CliRunner.RunAsync("inspect", "--model", path), 1, "non-finite", "--allow-non-finite-weights");
        var allowed = await CliRunner.RunAsync("inspect", "--model", path, "--allow-non-finite-weights");
        Assert.That(allowed.ExitCode, Is.EqualTo(0), allowed.ToString());
    }

    // Weights of +-3e38 in the projection (finite, so the file loads) make every logit infinite or NaN.
    private string HugeProjectionModel()
    {
        string path = Path.Combine(_temp, "huge.wts");
        var weights = Inference.Weights.WeightLoader.Load(CliRunner.FixtureWts,
            new Inference.Weights.WeightLoadOptions { Include = Inference.Model.TfVariableNames.IsInferenceTensor });
        Inference.Weights.WeightFileWriter.Write(path, weights.Select(t => t.Name == "softmax_softmax_w"
            ? new Inference.Weights.WeightTensor(t.Name, t.Shape, [.. t.Values.ToArray().Select(v => v < 0 ? -3e38f : 3e38f)])
            : t), Inference.Weights.WeightFileFormat.WtsV2);
        return path;
    }

    [Test]
    public async Task Score_with_non_finite_logits_is_an_error_not_NaN()
    {
        string text = Path.Combine(_temp, "text.txt");
        File.WriteAllText(text, "ROMEO: hello");
        var result = await CliRunner.RunAsync("score", "--model", HugeProjectionModel(), "--vocab", CliRunner.FixtureVocab, "--text", text);
        AssertOneLineError(result, 1, "NaN or infinite", "step 0");
    }

    [Test]
    public async Task Generate_with_non_finite_logits_is_an_error_naming_the_step()
    {
        var result = await CliRunner.RunAsync("generate", "--model", HugeProjectionModel(), "--vocab", CliRunner.FixtureVocab, "--prime", "ROMEO");
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stdout, Is.EqualTo("ROMEO"), "the prime is written before generation starts");
        Assert.That(result.StderrLines, Has.Length.EqualTo(1));
        Assert.That(result.Stderr, Does.StartWith("charrnn: error: ").And.Contain("NaN or infinite").And.Contain("step 0"));
    }

    [Test]
    public void An_argument_exception_from_the_library_is_an_internal_error_not_bad_input()
    {
        Assert.That(CharRnn.Cli.CliApplication.IsBadInput(new ArgumentOutOfRangeException("x")), Is.False);
        Assert.That(CharRnn.Cli.CliApplication.IsBadInput(new NonFiniteLogitsException()), Is.True);
    }
}
