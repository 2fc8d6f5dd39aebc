using CharRnn.Inference.Weights;

namespace CharRnn.Inference.Tests.Cli;

/// <summary><c>charrnn inspect</c> on the real tensorflow-char-rnn export and the embedded model.</summary>
public class InspectCommandTests
{
    [Test]
    public async Task Lists_the_six_inference_tensors_of_the_fixture_and_the_skipped_records()
    {
        var result = await CliRunner.RunAsync("inspect", "--model", CliRunner.FixtureWts);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());

        var tensorLines = result.Stdout.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal))
            .Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToArray();
        Assert.That(tensorLines, Is.EqualTo(new[]
        {
            "rnn_multi_rnn_cell_cell_0_basic_lstm_cell_bias float32 (512,)",
            "rnn_multi_rnn_cell_cell_0_basic_lstm_cell_kernel float32 (193, 512)",
            "rnn_multi_rnn_cell_cell_1_basic_lstm_cell_bias float32 (512,)",
            "rnn_multi_rnn_cell_cell_1_basic_lstm_cell_kernel float32 (256, 512)",
            "softmax_softmax_b float32 (65,)",
            "softmax_softmax_w float32 (128, 65)",
        }));
        Assert.That(result.Stdout, Does.Contain("6 loaded, 21 records skipped"));
        Assert.That(result.Stdout, Does.Contain("model: 2 x 128 LSTM, input 65 (one-hot), vocabulary 65"));
        // 4*128*(193 + 256) + 2*512 + 128*65 + 65
        Assert.That(result.Stdout, Does.Contain("parameters: 239297"));
        Assert.That(result.Stderr, Is.Empty);
    }

    [Test]
    public async Task Checkpoint_prefix_lists_the_same_tensors()
    {
        string prefix = Path.Combine(Path.GetDirectoryName(CliRunner.FixtureWts)!, "model-85340");
        var wts = await CliRunner.RunAsync("inspect", "--model", CliRunner.FixtureWts);
        var checkpoint = await CliRunner.RunAsync("inspect", "--model", prefix);
        Assert.That(checkpoint.ExitCode, Is.EqualTo(0), checkpoint.ToString());
        static string Tensors(string s) => string.Join('\n', s.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal)));
        Assert.That(Tensors(checkpoint.Stdout), Is.EqualTo(Tensors(wts.Stdout)));
        Assert.That(checkpoint.Stdout, Does.Contain("TensorFlowCheckpoint"));
    }

    [Test]
    public async Task Without_model_describes_the_embedded_model()
    {
        var result = await CliRunner.RunAsync("inspect");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stdout, Does.Contain("embedding").And.Contain("float16").And.Contain("(65, 512)"));
        Assert.That(result.Stdout, Does.Contain("model: 2 x 512 LSTM, input 512 (embedding), vocabulary 65"));
    }

    // The fixture with layer 1's tensors renamed: the file is read as it is, and the model it forms is refused in one line.
    private static string RenamedFixture(string from, string to)
    {
        string path = Path.Combine(Path.GetTempPath(), $"charrnn-renamed-{Guid.NewGuid():N}.wts2");
        var weights = WeightLoader.Load(CliRunner.FixtureWts, new WeightLoadOptions { Include = Inference.Model.TfVariableNames.IsInferenceTensor });
        WeightFileWriter.Write(path, weights.Select(t => new WeightTensor(t.Name.Replace(from, to, StringComparison.Ordinal), t.Shape, t.Values.ToArray())),
            WeightFileFormat.WtsV2);
        return path;
    }

    [TestCase("2147483646")]
    [TestCase("99999999999")]
    public async Task A_huge_layer_index_in_a_tensor_name_is_one_short_error(string index)
    {
        string path = RenamedFixture("cell_1_", $"cell_{index}_");
        try
        {
            var result = await CliRunner.RunAsync("inspect", "--model", path);
            Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
            Assert.That(result.StderrLines, Has.Length.EqualTo(1));
            Assert.That(result.Stderr, Does.StartWith("charrnn: error: ").And.Contain($"layer {index}"));
            Assert.That(result.Stderr, Has.Length.LessThan(500));
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Two records named "bad<ESC>[31m": the duplicate-name error quotes the name with ESC escaped, in the library's
    // message and on the terminal.
    [Test]
    public async Task Control_characters_in_a_tensor_name_are_escaped()
    {
        string path = Path.Combine(Path.GetTempPath(), $"charrnn-escape-{Guid.NewGuid():N}.wts2");
        byte[] record = [.. "bad\u001b[31m 0 (1,) "u8, 0, 0, 0, 0, (byte)'\n'];
        File.WriteAllBytes(path, [.. "2\n"u8, .. record, .. record]);
        try
        {
            var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(path));
            Assert.That(e!.Message.Contains('\u001b', StringComparison.Ordinal), Is.False, e.Message);
            Assert.That(e.Message, Does.Contain("'bad\\x1b[31m'"));

            var result = await CliRunner.RunAsync("inspect", "--model", path);
            Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
            Assert.That((result.Stdout + result.Stderr).Contains('\u001b', StringComparison.Ordinal), Is.False, "no raw escape byte reaches the terminal");
            Assert.That(result.Stderr, Does.Contain("bad\\x1b[31m"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
