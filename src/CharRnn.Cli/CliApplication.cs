using System.CommandLine;
using CharRnn.Inference;

namespace CharRnn.Cli;

/// <summary>
/// The <c>charrnn</c> tool, runnable in-process: parses the arguments, runs one command, and turns every failure into
/// an exit code and one line on stderr (<c>charrnn: error: ...</c>), never a stack trace.
/// </summary>
internal static class CliApplication
{
    /// <summary>The command ran.</summary>
    public const int ExitOk = 0;

    /// <summary>Bad input: a missing or malformed model, vocabulary or text file, unknown characters, a missing backend.</summary>
    public const int ExitBadInput = 1;

    /// <summary>The command line itself is wrong (unknown option, bad value, conflicting options).</summary>
    public const int ExitUsage = 2;

    /// <summary>A bug: an exception nobody expected (EX_SOFTWARE).</summary>
    public const int ExitInternalError = 70;

    /// <summary>Cancelled by Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int ExitCancelled = 130;

    /// <summary>Runs <c>charrnn</c> with <paramref name="args"/>; command output goes to <paramref name="stdout"/>, errors to <paramref name="stderr"/>.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var console = new CliConsole(stdout, stderr);
        var root = new RootCommand("charrnn: generate, score, inspect and convert char-rnn (character-level LSTM) models.")
        {
            GenerateCommand.Create(console),
            ScoreCommand.Create(console),
            InspectCommand.Create(console),
            ConvertCommand.Create(console),
            DoctorCommand.Create(console),
        };

        // Response files off: with them, --prime "@ROMEO" failed as a missing file and --prime @/etc/hostname primed
        // with that file's contents. An argument is taken as typed; --prime-file reads a prime from a file.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Errors.Count > 0)
        {
            string command = parsed.CommandResult.Command == root ? "charrnn" : $"charrnn {parsed.CommandResult.Command.Name}";
            console.Error($"{string.Join(" ", parsed.Errors.Select(e => e.Message))} (see '{command} --help')");
            return ExitUsage;
        }
        try
        {
            // Program handles Ctrl+C itself (ProcessTerminationTimeout null), so that cancellation ends with exit 130.
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (StdoutClosedException)
        {
            // The reader took what it wanted (charrnn generate | head): not a failure, and nothing more to say.
            return ExitOk;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            try
            {
                await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (StdoutClosedException)
            {
                // Cancelled after the reader went: the exit code still says cancelled.
            }
            console.Note("cancelled");
            return ExitCancelled;
        }
        catch (VocabularyException e) when (e.UnknownCharacters.Count > 0)
        {
            console.Error($"{e.Message} (--unknown-chars skip or replace does that)");
            return ExitBadInput;
        }
        catch (WeightFormatException e) when (e.NonFiniteValues > 0)
        {
            console.Error($"{e.Message} (--allow-non-finite-weights does that)");
            return ExitBadInput;
        }
        catch (Exception e) when (IsBadInput(e))
        {
            console.Error(e.Message);
            return ExitBadInput;
        }
#pragma warning disable CA1031 // The tool's last line of defence: a bug still ends in one line and an exit code, never a crash dump.
        catch (Exception e)
#pragma warning restore CA1031
        {
            console.Error($"internal error: {e.GetType().FullName}: {e.Message}");
            return ExitInternalError;
        }
    }

    // The failures a user can fix: our typed input errors and unreadable files. An ArgumentException is not among them:
    // the commands validate every option, so one escaping from the library is a bug and exits 70 saying so.
    internal static bool IsBadInput(Exception e) => e is CharRnnException or CliInputException or IOException
        or UnauthorizedAccessException;
}
