using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using CharRnn.Inference.Model;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Cli;

/// <summary>
/// The real built <c>charrnn</c> (copied beside the tests by the project reference) as a child process: the bytes on
/// its stdout are exactly the prime and the generated text, whatever it logs.
/// </summary>
public class CliProcessTests
{
    private static string CharRnnDll
    {
        get
        {
            string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "charrnn.dll");
            return File.Exists(path) ? path : throw new AssertionException($"{path} is missing: the test project must reference src/CharRnn.Cli.");
        }
    }

    // The muxer of the runtime running the tests: <root>/shared/Microsoft.NETCore.App/<version>/ -> <root>/dotnet.
    private static string DotNet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
        ? host
        : Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet"));

    private static ProcessStartInfo StartInfo(string[] args)
    {
        var start = new ProcessStartInfo(DotNet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(CharRnnDll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        return start;
    }

    private static async Task<(int Exit, byte[] Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        using var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        await copy;
        return (process.ExitCode, stdout.ToArray(), await stderr);
    }

    [Test]
    public async Task Verbose_generate_writes_only_the_text_to_stdout()
    {
        var (exit, stdout, stderr) = await RunAsync([.. CliRunner.FixtureGenerate, "--prime", "ROMEO", "--length", "64", "--greedy", "--verbose"]);

        var model = CharRnnModel.Load(CliRunner.FixtureWts, new ModelLoadOptions { VocabularyPath = CliRunner.FixtureVocab });
        string expected = "ROMEO" + model.Vocabulary.Decode(new TfLstmReference(model).Greedy(model.Vocabulary.Encode("ROMEO"), 64));
        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Is.EqualTo(Encoding.UTF8.GetBytes(expected)), "no BOM, no log line, no trailing newline");
        Assert.That(stderr, Does.Contain("[5002]").And.Contain("charrnn: 64 chars in "), "logs and the summary went to stderr");
    }

    [Test]
    public async Task Failure_leaves_stdout_empty_and_exits_1()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"charrnn-absent-{Guid.NewGuid():N}.wts");
        var (exit, stdout, stderr) = await RunAsync("generate", "--model", missing, "--verbose");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr.TrimEnd().Split('\n')[^1], Does.StartWith("charrnn: error: ").And.Contain(missing));
        Assert.That(stderr, Does.Not.Contain("   at "));
    }

    // `charrnn generate --length 10000000 | head -c 100`: the reader takes 100 bytes and closes its end of the pipe. The
    // run must end soon after (it would take hours to generate that much on the CPU), quietly and successfully.
    [Test]
    public async Task Closing_stdout_ends_generation()
    {
        using var process = Process.Start(StartInfo([.. CliRunner.FixtureGenerate, "--backend", "cpu", "--length", "10000000"]))!;
        try
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var head = new byte[100];
            await process.StandardOutput.BaseStream.ReadExactlyAsync(head);
            process.StandardOutput.Close();

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("charrnn kept generating for 60 s after its stdout was closed.");
            }
            string errors = await stderr;
            Assert.That(Encoding.UTF8.GetString(head), Does.StartWith("ROMEO:"));
            Assert.That(process.ExitCode, Is.EqualTo(0), errors);
            Assert.That(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.AtMost(1), errors);
            Assert.That(errors, Does.Not.Contain("   at "), "no stack trace");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    // Ctrl+C (SIGINT) during generation: exit 130 and exactly one line on stderr, whatever the loggers do.
    [Test]
    public async Task Sigint_during_generation_prints_one_line_and_exits_130()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Sends SIGINT with kill(1), which Windows does not have.");
        }
        using var process = Process.Start(StartInfo([.. CliRunner.FixtureGenerate, "--backend", "cpu", "--length", "10000000"]))!;
        try
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var head = new byte[64];
            await process.StandardOutput.BaseStream.ReadExactlyAsync(head);
            var drain = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync();
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            await drain;
            string errors = await stderr;
            Assert.That(process.ExitCode, Is.EqualTo(130), errors);
            Assert.That(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "charrnn: cancelled" }));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    // `{ charrnn generate; echo END; } > out`: the tool writes at the offset it shares with the shell, so what the shell
    // writes next follows the text instead of overwriting it.
    [Test]
    public async Task Output_to_a_file_keeps_the_offset_shared_with_the_shell()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Uses /bin/sh.");
        }
        string output = Path.Combine(Path.GetTempPath(), $"charrnn-offset-{Guid.NewGuid():N}.txt");
        try
        {
            var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true };
            foreach (string arg in (string[])["-c", "{ echo START; \"$0\" exec \"$1\" generate --model \"$2\" --vocab \"$3\" --prime ROMEO --length 30 --greedy; echo END; } > \"$4\"",
                DotNet, CharRnnDll, CliRunner.FixtureWts, CliRunner.FixtureVocab, output])
            {
                start.ArgumentList.Add(arg);
            }
            using var process = Process.Start(start)!;
            string errors = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.That(process.ExitCode, Is.EqualTo(0), errors);
            string text = await File.ReadAllTextAsync(output);
            Assert.That(text, Does.StartWith("START\nROMEO").And.EndWith("END\n"));
            Assert.That(text, Has.Length.EqualTo("START\n".Length + 5 + 30 + "END\n".Length));
        }
        finally
        {
            File.Delete(output);
        }
    }
}
