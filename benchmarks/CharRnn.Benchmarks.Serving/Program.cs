using System.CommandLine;
using System.Globalization;
using CharRnn.Benchmarks.Serving;
using CharRnn.Inference.Cuda;
using CharRnn.Inference.DefaultModel;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;

// Serving many users: aggregate characters per second and time to first character through Generator, for a scheduler
// (continuous batching) against one generator per user (a batch-1 session each) and against the raw N-stream session
// (the ceiling: every stream in lockstep, nothing arriving or leaving). The model is the embedded default (2 x 512).
var backend = new Option<string>("--backend") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
var users = new Option<int[]>("--users") { Description = "Concurrent user counts", DefaultValueFactory = _ => [1, 64, 256], AllowMultipleArgumentsPerToken = true };
var scenario = new Option<string>("--scenario")
{
    Description = "steady: all users arrive at once and generate --length each; churn: random arrivals over --window-ms, lengths 50 to 2,000",
    DefaultValueFactory = _ => "steady",
};
var length = new Option<int>("--length") { Description = "Characters per user (steady)", DefaultValueFactory = _ => 500 };
var window = new Option<int>("--window-ms") { Description = "Arrival window (churn)", DefaultValueFactory = _ => 2000 };
var sampling = new Option<string>("--sampling") { Description = "greedy, sampled (T 0.8, top-k 20, top-p 0.95) or both", DefaultValueFactory = _ => "both" };
var paths = new Option<string[]>("--paths") { Description = "scheduled, per-user, raw", DefaultValueFactory = _ => ["scheduled", "per-user", "raw"], AllowMultipleArgumentsPerToken = true };
var maxStreams = new Option<int?>("--max-streams") { Description = "The scheduler's MaxStreams (default: the user count)" };
var command = new RootCommand("CharRnn serving benchmark") { backend, users, scenario, length, window, sampling, paths, maxStreams };
command.SetAction(result =>
{
    var model = TinyShakespeareModel.Load();
    var options = new EngineOptions
    {
        Backend = result.GetValue(backend) == "cuda" ? Backend.Cuda : Backend.Cpu,
        Providers = [new CudaBackendProvider()],
    };
    using var engine = InferenceEngine.Create(model, options);
    var samplings = result.GetValue(sampling) switch
    {
        "greedy" => new[] { ("greedy", SamplingOptions.Greedy) },
        "sampled" => [("sampled", new SamplingOptions { Temperature = 0.8f, TopK = 20, TopP = 0.95f })],
        _ => [("greedy", SamplingOptions.Greedy), ("sampled", new SamplingOptions { Temperature = 0.8f, TopK = 20, TopP = 0.95f })],
    };
    Console.WriteLine($"# {engine.DeviceName}; {model.Dimensions}; {result.GetValue(scenario)}; {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC");
    Console.WriteLine("| users | sampling | path | chars/s | vs raw | first char p50 ms | p99 ms | wall s |");
    Console.WriteLine("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |");
    foreach (int n in result.GetValue(users)!)
    {
        foreach (var (name, rule) in samplings)
        {
            var workload = result.GetValue(scenario) == "churn"
                ? Workload.Churn(n, result.GetValue(window), seed: n)
                : Workload.Steady(n, result.GetValue(length));
            double? raw = null;
            // The raw session first: the others are compared with it.
            foreach (string path in result.GetValue(paths)!.OrderBy(p => p == "raw" ? 0 : 1))
            {
                var run = path switch
                {
                    "raw" => LoadRunner.Raw(engine, workload, rule),
                    "per-user" => LoadRunner.Users(engine, workload, rule),
                    _ => LoadRunner.Scheduled(engine, workload, rule, result.GetValue(maxStreams) ?? n),
                };
                raw = path == "raw" ? run.CharsPerSecond : raw;
                string versus = raw is double r && path != "raw" ? (run.CharsPerSecond / r).ToString("P0", CultureInfo.InvariantCulture) : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {n} | {name} | {path} | {run.CharsPerSecond:N0} | {versus} | {run.FirstCharP50:F2} | {run.FirstCharP99:F2} | {run.Wall.TotalSeconds:F2} |"));
            }
        }
    }
});
return command.Parse(args).Invoke();
