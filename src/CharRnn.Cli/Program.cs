using System.Text;
using CharRnn.Cli;

// The first Ctrl+C cancels generation cleanly (exit 130, text so far flushed); a second one kills the process.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
};
// stdout is a byte contract (prime + generated text, nothing else): UTF-8 without a BOM, flushed by the commands.
await using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
return await CliApplication.RunAsync(args, stdout, Console.Error, cancel.Token);
