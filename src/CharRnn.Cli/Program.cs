using System.Text;
using CharRnn.Cli;

// The first Ctrl+C cancels generation cleanly (exit 130, text so far flushed); a second one kills the process.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
};
// stdout is a byte contract (prime + generated text, nothing else): UTF-8 without a BOM, flushed by the commands. Its
// stream reports a closed reader (StandardOutput), so `charrnn generate | head` ends when head does.
var stdout = new StreamWriter(StandardOutput.Open(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
int exit = await CliApplication.RunAsync(args, stdout, Console.Error, cancel.Token);
try
{
    await stdout.DisposeAsync();
}
catch (StdoutClosedException)
{
    // What was left in the writer's buffer has no reader; the run's exit code stands.
}
return exit;
