using System.Text.Json;
using CharRnn.Inference.Cpu;
using CharRnn.Inference.DefaultModel;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;

namespace CharRnn.Benchmarks;

/// <summary>
/// <c>CharRnn.Benchmarks drift TEXT [REFERENCE_JSON]</c>: how far <see cref="CpuPrecision.BFloat16"/> moves the default
/// model from float32 on the test split of tiny Shakespeare (the last 5%, FACTS.md section 2): perplexity of each,
/// largest logit difference, the share of positions whose argmax (greedy choice) agrees when both read the same text,
/// and the greedy continuations of the training run's primes generated freely by each.
/// </summary>
internal static class PrecisionDrift
{
    public static void Run(string textPath, string? referencePath)
    {
        string text = File.ReadAllText(textPath);
        int train = (int)(text.Length * 0.9), valid = (int)(text.Length * 0.05);
        string test = text[(train + valid)..];
        var model = TinyShakespeareModel.Instance;
        int[] tokens = model.Vocabulary.Encode(test);
        int vocab = model.Dimensions.VocabularySize;
        Console.WriteLine($"test split: {test.Length} characters, {tokens.Length - 1} predictions");

        var logits = new Dictionary<CpuPrecision, float[]>();
        var engines = new Dictionary<CpuPrecision, InferenceEngine>();
        foreach (var precision in new[] { CpuPrecision.Float32, CpuPrecision.BFloat16 })
        {
            var engine = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu, Cpu = new CpuEngineOptions { Precision = precision } });
            engines[precision] = engine;
            using var session = engine.CreateSession();
            var all = new float[tokens.Length * vocab];
            session.Feed(tokens, tokens.Length, all);
            logits[precision] = all;
            Console.WriteLine($"{precision}: test perplexity {Perplexity(all, tokens, vocab):F6}");
        }
        float[] a = logits[CpuPrecision.Float32], b = logits[CpuPrecision.BFloat16];
        int agree = 0, positions = tokens.Length - 1;
        float worst = 0;
        for (int t = 0; t < positions; t++)
        {
            var x = a.AsSpan(t * vocab, vocab);
            var y = b.AsSpan(t * vocab, vocab);
            agree += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(x) == System.Numerics.Tensors.TensorPrimitives.IndexOfMax(y) ? 1 : 0;
            for (int v = 0; v < vocab; v++) worst = Math.Max(worst, Math.Abs(x[v] - y[v]));
        }
        Console.WriteLine($"argmax agreement with the same input: {agree} of {positions} ({100.0 * agree / positions:F3}%), largest logit difference {worst:G3}");

        if (referencePath is not null)
        {
            var reference = JsonDocument.Parse(File.ReadAllText(referencePath)).RootElement;
            int identical = 0, total = 0, chars = 0, count = 0;
            foreach (var g in reference.GetProperty("greedy").EnumerateArray())
            {
                string prime = g.GetProperty("prime").GetString()!;
                int length = g.GetProperty("continuation").GetString()!.Length;
                string Greedy(InferenceEngine engine)
                {
                    using var session = engine.CreateSession();
                    session.Feed(model.Vocabulary.Encode(prime), prime.Length);
                    var output = new int[length];
                    session.Generate(length, SamplingOptions.Greedy, 0, 0, output);
                    return model.Vocabulary.Decode(output);
                }
                string f = Greedy(engines[CpuPrecision.Float32]), r = Greedy(engines[CpuPrecision.BFloat16]);
                int same = 0;
                while (same < length && f[same] == r[same]) same++;
                identical += same == length ? 1 : 0;
                total++;
                chars += same;
                count += length;
                Console.WriteLine($"  {prime,-24} first difference at {(same == length ? "none" : same.ToString())}");
            }
            Console.WriteLine($"free-running greedy text: {identical} of {total} continuations identical, {chars} of {count} characters before the first difference");
        }
        foreach (var engine in engines.Values) engine.Dispose();
    }

    // exp of the mean negative log-likelihood of each next character.
    private static double Perplexity(float[] logits, int[] tokens, int vocab)
    {
        double nll = 0;
        for (int t = 0; t + 1 < tokens.Length; t++)
        {
            var row = logits.AsSpan(t * vocab, vocab);
            float max = System.Numerics.Tensors.TensorPrimitives.Max(row);
            double sum = 0;
            foreach (float l in row) sum += Math.Exp(l - max);
            nll += Math.Log(sum) + max - row[tokens[t + 1]];
        }
        return Math.Exp(nll / (tokens.Length - 1));
    }
}
