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
}
