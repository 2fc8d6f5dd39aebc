using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Tests.Serving;

/// <summary>
/// The ASP.NET sample under load on loopback (bounded: 1,000 clients, short texts, the 2 x 128 fixture model on the
/// CPU): every client that stays gets exactly its text, clients that disconnect mid-stream leave no stream behind, and
/// the process's managed heap comes back to where it was.
/// </summary>
[NonParallelizable]
public partial class AspNetSampleLoadTests
{
    private const int Clients = 1000;
    private const int Length = 60;

    [Test]
    [CancelAfter(240_000)]
    public async Task A_thousand_streaming_clients_some_leaving_get_their_own_text_and_leave_nothing_behind(CancellationToken timeout)
    {
        string model = TestData.SharedData("tf-char-rnn-shakespeare-128", "model-85340.wts2");
        string vocab = TestData.SharedData("tf-char-rnn-shakespeare-128", "vocab.json");
        using var server = SampleServer.Start(model, vocab);
        using var http = new HttpClient { BaseAddress = await server.AddressAsync(timeout), Timeout = TimeSpan.FromMinutes(3) };

        await WarmUpAsync(http, timeout);
        var idle = await StatusAsync(http, timeout);

        // The reference: each client's text from a generator of its own, on an engine built here from the same file.
        using var engine = InferenceEngine.Create(CharRnnModel.Load(model, new ModelLoadOptions { VocabularyPath = vocab }),
            new EngineOptions { Backend = Backend.Cpu });

        var results = await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(() => ClientAsync(http, c, timeout), timeout)));
        var stayed = results.Where(r => !r.Left).ToArray();
        Assert.That(stayed, Has.Length.GreaterThan(Clients / 2));
        foreach (var r in stayed)
        {
            Assert.That(r.Text, Is.EqualTo(Expected(engine, r.Client)), $"client {r.Client}");
        }

        // Disconnected clients' streams are retired; nothing stays in the batch or the queue.
        var after = await PollAsync(http, s => s.ActiveStreams == 0 && s.QueuedRequests == 0, timeout);
        Assert.That(after.ActiveStreams, Is.Zero);
        Assert.That(after.QueuedRequests, Is.Zero);
        // A second wave must not grow the heap either: what the first wave left is the baseline.
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(() => ClientAsync(http, c, timeout), timeout)));
        var second = await PollAsync(http, s => s.ActiveStreams == 0 && s.QueuedRequests == 0, timeout);
        Assert.That(second.ManagedBytes, Is.LessThan(Math.Max(after.ManagedBytes, idle.ManagedBytes) + 8_000_000),
            $"managed heap idle {idle.ManagedBytes:N0}, after one wave {after.ManagedBytes:N0}, after two {second.ManagedBytes:N0}");
    }

    private static string Prime(int client) => client % 2 == 0 ? "ROMEO:" : "JULIET:";

    private static string Query(int client) =>
        $"/generate?prime={Uri.EscapeDataString(Prime(client))}&length={Length}&temperature={(client % 3 == 0 ? 0 : 0.8)}&seed={client}";

    private static string Expected(InferenceEngine engine, int client)
    {
        using var generator = engine.CreateGenerator(new GeneratorOptions
        {
            Sampling = client % 3 == 0 ? SamplingOptions.Greedy : new SamplingOptions { Temperature = 0.8f },
            Seed = (ulong)client,
        });
        generator.Prime(Prime(client));
        return Prime(client) + generator.Generate(Length);
    }

    // Every seventh client reads the first bytes and hangs up.
    private static async Task<ClientResult> ClientAsync(HttpClient http, int client, CancellationToken timeout)
    {
        bool leave = client % 7 == 3;
        using var response = await http.GetAsync(Query(client), HttpCompletionOption.ResponseHeadersRead, timeout);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(timeout);
        if (leave)
        {
            var first = new byte[4];
            _ = await body.ReadAsync(first, timeout);
            return new ClientResult(client, true, "");
        }
        using var reader = new StreamReader(body);
        return new ClientResult(client, false, await reader.ReadToEndAsync(timeout));
    }

    private static async Task WarmUpAsync(HttpClient http, CancellationToken timeout) =>
        (await http.GetAsync("/generate?prime=A&length=5", timeout)).EnsureSuccessStatusCode();

    private static async Task<ServerStatus> StatusAsync(HttpClient http, CancellationToken timeout) =>
        (await http.GetFromJsonAsync<ServerStatus>("/status", timeout))!;

    private static async Task<ServerStatus> PollAsync(HttpClient http, Func<ServerStatus, bool> done, CancellationToken timeout)
    {
        var status = await StatusAsync(http, timeout);
        for (int i = 0; i < 100 && !done(status); i++)
        {
            await Task.Delay(100, timeout);
            status = await StatusAsync(http, timeout);
        }
        return status;
    }

    private sealed record ClientResult(int Client, bool Left, string Text);

    private sealed record ServerStatus(string Backend, int ActiveStreams, int QueuedRequests, long ManagedBytes);

    // The sample's published build, started as its own process on a free loopback port.
    private sealed partial class SampleServer : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private SampleServer(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line && ListeningOn().Match(line) is { Success: true } m)
                {
                    _address.TrySetResult(new Uri(m.Groups[1].Value));
                }
            };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public static SampleServer Start(string model, string vocab)
        {
            // The test's own build configuration and framework (bin/<Configuration>/<tfm>) locate the sample's build.
            var testDir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            string tfm = testDir.Name, configuration = testDir.Parent!.Name;
            var repo = testDir;
            while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "CharRnn.Inference.sln")))
            {
                repo = repo.Parent;
            }
            string dll = Path.Combine(repo!.FullName, "samples", "AspNetStreaming", "bin", configuration, tfm, "AspNetStreaming.dll");
            if (!File.Exists(dll))
            {
                Assert.Fail($"The sample is not built at {dll}: build the solution (the test project references it) first.");
            }
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList =
                {
                    dll, "--urls", "http://127.0.0.1:0", "--CharRnn:ModelPath", model, "--CharRnn:VocabularyPath", vocab,
                    "--CharRnn:Backend", "Cpu", "--Logging:LogLevel:Default", "Information",
                },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            return new SampleServer(Process.Start(start)!);
        }

        public async Task<Uri> AddressAsync(CancellationToken timeout) =>
            await _address.Task.WaitAsync(TimeSpan.FromSeconds(60), timeout);

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
            _process.Dispose();
        }

        [GeneratedRegex(@"Now listening on: (http://\S+)")]
        private static partial Regex ListeningOn();
    }
}
