using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Sampling;
using Microsoft.Extensions.Logging;

namespace CharRnn.Cli;

/// <summary>
/// <c>charrnn generate</c>: primes the model and streams the continuation. stdout carries exactly the prime followed by
/// the generated characters (DESIGN.md "Command line"); nothing is written to it until the model, the engine and the
/// prime have all succeeded, so a failed run leaves stdout empty.
/// </summary>
internal static class GenerateCommand
{
    public const string DefaultPrime = "ROMEO:";
    public const int DefaultLength = 200;
    public const float DefaultTemperature = 0.8f;

    public static Command Create(CliConsole console)
    {
        var model = CliOptions.Model();
        var vocab = CliOptions.Vocab();
        var prime = new Option<string>("--prime", "-p")
        {
            Description = "Text fed to the model first; it is written to stdout before the generated text. Taken as typed (a leading @ is text, not a file).",
            DefaultValueFactory = _ => DefaultPrime,
            HelpName = "TEXT",
        };
        CliOptions.Check(prime, p => p.Length == 0 ? "--prime must hold at least one character: generation starts from the prediction after the prime." : null);
        var primeFile = new Option<string?>("--prime-file")
        {
            Description = "Read the prime from a UTF-8 file instead of --prime (for primes longer than a command line allows).",
            HelpName = "PATH",
        };
        var length = new Option<int>("--length", "-n")
        {
            Description = "Number of characters to generate after the prime.",
            DefaultValueFactory = _ => DefaultLength,
            HelpName = "N",
        };
        CliOptions.Check(length, n => n < 0 ? $"--length must be 0 or more, not {n}." : null);
        var greedy = new Option<bool>("--greedy") { Description = "Always take the most likely character (argmax, sampleCharRNN's rule)." };
        var temperature = new Option<float>("--temperature", "-t")
        {
            Description = "Sampling temperature: lower is more conservative, 0 is greedy.",
            DefaultValueFactory = _ => DefaultTemperature,
            HelpName = "T",
        };
        CliOptions.Check(temperature, t => float.IsFinite(t) && t >= 0f
            ? null
            : $"--temperature must be a finite number >= 0, not {t.ToString(CultureInfo.InvariantCulture)}.");
        var topK = new Option<int>("--top-k") { Description = "Sample only among the K most likely characters (0: all).", HelpName = "K" };
        CliOptions.Check(topK, k => k < 0 ? "--top-k must be 0 (all characters) or more." : null);
        var topP = new Option<float>("--top-p")
        {
            Description = "Sample only among the most likely characters whose probabilities reach P, in (0, 1] (1: all).",
            DefaultValueFactory = _ => 1f,
            HelpName = "P",
        };
        CliOptions.Check(topP, p => p > 0f && p <= 1f ? null : $"--top-p must be in (0, 1], not {p.ToString(CultureInfo.InvariantCulture)}.");
        var seed = new Option<ulong>("--seed", "-s") { Description = "Random seed: the same seed gives the same text (default 0).", HelpName = "S" };
        var backend = CliOptions.Backend();
        var forgetBias = CliOptions.ForgetBias();
        var unknownChars = CliOptions.UnknownChars();
        var verbose = CliOptions.Verbose();
        var showProgress = CliOptions.Progress();
        var allowNonFinite = CliOptions.AllowNonFiniteWeights();
        var state = StateFile.Option();

        var command = new Command("generate", "Generate text after a prime; stdout holds exactly the prime followed by the generated characters.")
        {
            model, vocab, prime, primeFile, length, greedy, temperature, topK, topP, seed, backend, forgetBias, unknownChars, verbose, showProgress, allowNonFinite, state,
        };
        CliOptions.RequireModelForVocab(command, model, vocab);
        command.Validators.Add(r =>
        {
            if (CliOptions.IsGiven(r, prime) && CliOptions.IsGiven(r, primeFile))
            {
                r.AddError("--prime and --prime-file cannot be combined: give the prime one way.");
            }
            if (r.GetValue(greedy) && CliOptions.IsGiven(r, temperature))
            {
                r.AddError("--greedy and --temperature cannot be combined: --greedy always takes the most likely character.");
            }
            if (r.GetValue(greedy) && (CliOptions.IsGiven(r, topK) || CliOptions.IsGiven(r, topP)))
            {
                r.AddError("--top-k and --top-p shape sampling; they cannot be combined with --greedy.");
            }
        });

        command.SetAction((parsed, cancellationToken) =>
        {
            var sampling = parsed.GetValue(greedy)
                ? SamplingOptions.Greedy
                : new SamplingOptions { Temperature = parsed.GetValue(temperature), TopK = parsed.GetValue(topK), TopP = parsed.GetValue(topP) };
            var request = new Request(
                parsed.GetValue(model), parsed.GetValue(vocab),
                parsed.GetValue(primeFile) is { } path ? ReadPrimeFile(path) : parsed.GetRequiredValue(prime), parsed.GetValue(length),
                CliOptions.ParseBackend(parsed.GetRequiredValue(backend)), parsed.GetValue(forgetBias),
                new GeneratorOptions
                {
                    Sampling = sampling,
                    Seed = parsed.GetValue(seed),
                    UnknownCharacters = CliOptions.ParseUnknownChars(parsed.GetRequiredValue(unknownChars)),
                },
                parsed.GetValue(verbose),
                parsed.GetValue(showProgress),
                parsed.GetValue(allowNonFinite),
                parsed.GetValue(state) is { } statePath
                    ? new StateRequest(statePath, IsGiven(parsed, prime) || parsed.GetValue(primeFile) is not null,
                        IsGiven(parsed, greedy) || IsGiven(parsed, temperature) || IsGiven(parsed, topK) || IsGiven(parsed, topP), IsGiven(parsed, seed))
                    : null);
            return RunAsync(console, request, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, Request request, CancellationToken cancellationToken)
    {
        using var loggerFactory = CliLogging.Create(request.Verbose);
        var logger = loggerFactory.CreateLogger(typeof(GenerateCommand));
        long start = Stopwatch.GetTimestamp();
        // Read first, so that an unusable state file stops the run before the model loads and before any output.
        var stateFile = request.State is { } stateRequest ? StateFile.Open(stateRequest.Path) : null;
        var model = ModelSource.Load(request.ModelPath, request.VocabPath, request.AllowNonFinite, loggerFactory);
        var progress = new CliProgress(console.Err, CliProgress.ShouldShow(request.ShowProgress, console.Err));
        using var engine = await ModelSource.CreateEngineAsync(model, request.Backend, request.ForgetBias, loggerFactory, progress, cancellationToken)
            .ConfigureAwait(false);
        var ready = Stopwatch.GetElapsedTime(start);

        var options = request.Options with { ChunkSize = StreamChunk(engine.Backend) };
        using var generator = stateFile is null
            ? engine.CreateGenerator(options)
            : stateFile.CreateGenerator(engine, stateFile.Options(options, request.State!.SamplingGiven, request.State.SeedGiven));
        // A saved conversation continues where it stopped: the default prime is for new ones.
        string prime = stateFile?.Saved is not null && !request.State!.PrimeGiven ? "" : request.Prime;
        try
        {
            ChunkedPrime.Run(generator, prime, progress, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            CliLog.PrimeCancelled(logger, prime.Length);
            throw;
        }
        if (!generator.IsPrimed)
        {
            throw new CliInputException("No character of --prime is in the model's vocabulary, so there is nothing to generate from.");
        }
        var primed = Stopwatch.GetElapsedTime(start);

        // The prime is echoed as given (also under --unknown-chars skip/replace), so a script can strip it by length.
        // Writes ignore cancellation: a chunk already generated is always written, so stdout matches the state. Cancellation
        // is honoured between chunks by GenerateAsync.
        await console.Out.WriteAsync(prime.AsMemory(), CancellationToken.None).ConfigureAwait(false);
        int generated = 0;
        try
        {
            await foreach (string chunk in generator.GenerateAsync(request.Length, cancellationToken).ConfigureAwait(false))
            {
                await console.Out.WriteAsync(chunk.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                await console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                generated += chunk.Length;
            }
        }
        catch (OperationCanceledException)
        {
            CliLog.GenerationCancelled(logger, generated);
            // The state holds exactly the characters written, so the file stays in step with stdout.
            stateFile?.Save(generator);
            throw;
        }
        finally
        {
            await console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        stateFile?.Save(generator);

        if (request.Verbose)
        {
            var total = Stopwatch.GetElapsedTime(start);
            double generateSeconds = (total - primed).TotalSeconds;
            console.Note(string.Create(CultureInfo.InvariantCulture,
                $"{generated} chars in {generateSeconds * 1e3:F1} ms ({(generated == 0 ? 0 : generateSeconds * 1e6 / generated):F1} us/char, {(generateSeconds > 0 ? generated / generateSeconds : 0):F0} chars/s) on {engine.Backend} ({engine.DeviceName}); load+build {ready.TotalMilliseconds:F1} ms, prime {prime.Length} chars {(primed - ready).TotalMilliseconds:F1} ms, total {total.TotalMilliseconds:F1} ms"));
        }
        return CliApplication.ExitOk;
    }

    // The prime as --prime-file holds it (UTF-8, a byte order mark dropped). It must hold a character, as --prime must.
    private static string ReadPrimeFile(string path)
    {
        string text = CliFiles.ReadAllText(path, "--prime-file");
        return text.Length > 0
            ? text
            : throw new CliInputException($"--prime-file '{path}' is empty: generation starts from the prediction after the prime, so it needs at least one character.");
    }

    // Characters per streamed chunk. Each engine call costs tens of microseconds on a GPU, a fifth to a third of the time
    // at batch 1 with 32-character chunks, while 1,024 characters take a few milliseconds, too little to notice
    // (docs/PERFORMANCE.md#streaming-chunk-size). The CPU engine takes hundreds of microseconds per character, so its
    // text flows in short chunks.
    private static int StreamChunk(Inference.Engine.Backend backend) => backend == Inference.Engine.Backend.Cpu ? 32 : 1024;

    private static bool IsGiven(ParseResult parsed, Option option) => parsed.GetResult(option) is { Implicit: false };

    private sealed record Request(string? ModelPath, string? VocabPath, string Prime, int Length, Inference.Engine.Backend Backend, float ForgetBias, GeneratorOptions Options, bool Verbose, bool ShowProgress, bool AllowNonFinite, StateRequest? State);

    // --state FILE, and which of the options that a saved conversation can supply were typed.
    private sealed record StateRequest(string Path, bool PrimeGiven, bool SamplingGiven, bool SeedGiven);
}
