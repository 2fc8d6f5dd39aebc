using CharRnn.Cli;

namespace CharRnn.Inference.Tests.Cli;

/// <summary>Runs the charrnn tool in-process and captures what it writes to each stream.</summary>
internal static class CliRunner
{
    public static string Fixture(string file) => TestData.SharedData("tf-char-rnn-shakespeare-128", file);

    public static string FixtureWts => Fixture("model-85340.wts2");

    public static string FixtureVocab => Fixture("vocab.json");

    /// <summary>The arguments that select the real tensorflow-char-rnn fixture (2 x 128, one-hot).</summary>
    public static string[] FixtureModel => ["--model", FixtureWts, "--vocab", FixtureVocab];

    /// <summary><c>generate</c> on the fixture.</summary>
    public static string[] FixtureGenerate => ["generate", .. FixtureModel];

    public static async Task<CliResult> RunAsync(params string[] args) => await RunAsync(CancellationToken.None, null, args);

    public static async Task<CliResult> RunAsync(CancellationToken cancellationToken, TextWriter? stdout, params string[] args)
    {
        var output = stdout ?? new StringWriter();
        var error = new StringWriter();
        int exit = await CliApplication.RunAsync(args, output, error, cancellationToken);
        return new CliResult(exit, output.ToString() ?? "", error.ToString());
    }
}

/// <summary>What one run of the tool produced.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}
