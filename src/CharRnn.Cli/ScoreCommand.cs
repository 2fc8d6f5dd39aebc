using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CharRnn.Inference;
using CharRnn.Inference.Generation;
using Microsoft.Extensions.Logging;

namespace CharRnn.Cli;

/// <summary>
/// <c>charrnn score</c>: how well the model predicts a text file. The first character is context; every later one is
/// predicted from all before it. stdout ends with the perplexity, the last number printed (DESIGN.md "Command line").
/// </summary>
internal static class ScoreCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CliOptions.Model();
        var vocab = CliOptions.Vocab();
        var text = new Option<string>("--text") { Description = "The text file to score (UTF-8).", HelpName = "FILE", Required = true };
        var backend = CliOptions.Backend();
        var forgetBias = CliOptions.ForgetBias();
        var unknownChars = CliOptions.UnknownChars();
        var verbose = CliOptions.Verbose();
        var showProgress = CliOptions.Progress();
        var allowNonFinite = CliOptions.AllowNonFiniteWeights();
        var command = new Command("score", "Print the log-likelihood, bits per character and (last) the perplexity of a text file.")
        {
            model, vocab, text, backend, forgetBias, unknownChars, verbose, showProgress, allowNonFinite,
        };
        CliOptions.RequireModelForVocab(command, model, vocab);
        command.SetAction(parsed =>
        {
            using var loggerFactory = CliLogging.Create(parsed.GetValue(verbose));
            // Read the text first: a missing file is reported before the model is loaded.
            string content = CliFiles.ReadAllText(parsed.GetRequiredValue(text), "--text");
            var loaded = ModelSource.Load(parsed.GetValue(model), parsed.GetValue(vocab), parsed.GetValue(allowNonFinite), loggerFactory);
            var progress = new CliProgress(console.Err, CliProgress.ShouldShow(parsed.GetValue(showProgress), console.Err));
            using var engine = ModelSource.CreateEngine(loaded, CliOptions.ParseBackend(parsed.GetRequiredValue(backend)),
                parsed.GetValue(forgetBias), loggerFactory, progress);
            using var generator = engine.CreateGenerator(new GeneratorOptions
            {
                UnknownCharacters = CliOptions.ParseUnknownChars(parsed.GetRequiredValue(unknownChars)),
            });
            long start = Stopwatch.GetTimestamp();
            var score = generator.Score(content, progress.Counter("scoring characters", Math.Max(0, content.Length - 1)));
            progress.Done("scored", Stopwatch.GetElapsedTime(start));
            CliLog.Scored(loggerFactory.CreateLogger(typeof(ScoreCommand)), score.Predictions, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            if (score.Predictions == 0)
            {
                throw new CliInputException(
                    $"'{parsed.GetRequiredValue(text)}' holds fewer than two scorable characters: the first is context, so nothing is predicted.");
            }
            // A backend that hands out logits without checking them (the GPU engines) leaves NaN in the sum.
            if (!double.IsFinite(score.LogLikelihood))
            {
                throw new NonFiniteLogitsException(step: null, stream: null);
            }
            // Shortest round-trip formatting, invariant culture: scripts parse these numbers.
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"predictions: {score.Predictions}"));
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"log-likelihood: {score.LogLikelihood}"));
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bits-per-char: {score.BitsPerCharacter}"));
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"perplexity: {score.Perplexity}"));
            console.Out.Flush();
            return CliApplication.ExitOk;
        });
        return command;
    }
}
