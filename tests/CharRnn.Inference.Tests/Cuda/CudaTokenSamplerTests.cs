using System.Text.RegularExpressions;
using CharRnn.Inference.Cuda;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Tests.Cuda;

/// <summary>
/// The device sampler's host side, which needs no GPU: argument checks, the launch shape, and that the kernel parameters
/// it fills cover every <c>RunParams</c> field the <c>sample_batch</c> kernel reads (the others are left zero). The
/// sampled tokens themselves are compared with <see cref="TokenSampler"/> in the GPU suite.
/// </summary>
public sealed class CudaTokenSamplerTests
{
    [Test]
    public void Create_refuses_a_null_context()
    {
        Assert.That(() => CudaTokenSampler.Create(null!, 65, 1), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("context"));
    }

    [Test]
    public void CheckLaunch_accepts_exact_fits()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => CudaTokenSampler.CheckLaunch(65, 7, 7 * 65, 0, 7, 0, 7, 0), Throws.Nothing);
            Assert.That(() => CudaTokenSampler.CheckLaunch(65, 7, 10 * 65, 3 * 65, 20, 13, 7, long.MaxValue), Throws.Nothing);
            Assert.That(() => CudaTokenSampler.CheckLaunch(65, 7, 65, 0, 1, 0, 1, 0), Throws.Nothing, "fewer streams than the maximum");
        });
    }

    [TestCase(0, 7, "streams")]
    [TestCase(8, 7, "streams")]
    [TestCase(-1, 7, "streams")]
    public void CheckLaunch_refuses_stream_counts_outside_1_to_max(int streams, int max, string parameter)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CudaTokenSampler.CheckLaunch(65, max, 1000 * 65, 0, 1000, 0, streams, 0))!;
        Assert.That(e.ParamName, Is.EqualTo(parameter));
        Assert.That(e.Message, Does.Contain($"1 to {max} streams"));
    }

    [Test]
    public void CheckLaunch_refuses_a_negative_counter()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CudaTokenSampler.CheckLaunch(65, 1, 65, 0, 1, 0, 1, -1))!;
        Assert.That(e.ParamName, Is.EqualTo("counter"));
    }

    [TestCase(7 * 65 - 1, 0, TestName = "logits one element short")]
    [TestCase(7 * 65, 1, TestName = "logits offset pushes the last row out")]
    [TestCase(7 * 65, -1, TestName = "negative logits offset")]
    [TestCase(7 * 65, long.MaxValue, TestName = "logits offset that would overflow")]
    public void CheckLaunch_refuses_logits_that_do_not_fit(long length, long offset)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CudaTokenSampler.CheckLaunch(65, 7, length, offset, 7, 0, 7, 0))!;
        Assert.That(e.ParamName, Is.EqualTo("logitsOffset"));
        Assert.That(e.Message, Does.Contain("7 stream(s) x 65 logits").And.Contain($"buffer of {length}"));
    }

    [TestCase(6, 0, TestName = "tokens one element short")]
    [TestCase(7, 1, TestName = "tokens offset pushes the last token out")]
    [TestCase(7, -1, TestName = "negative tokens offset")]
    public void CheckLaunch_refuses_tokens_that_do_not_fit(long length, long offset)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CudaTokenSampler.CheckLaunch(65, 7, 7 * 65, 0, length, offset, 7, 0))!;
        Assert.That(e.ParamName, Is.EqualTo("tokensOffset"));
        Assert.That(e.Message, Does.Contain($"buffer of {length}"));
    }

    [TestCase(1, 1)]
    [TestCase(8, 1)]
    [TestCase(9, 2)]
    [TestCase(300, 38)]
    public void One_warp_per_stream(int streams, int blocks)
    {
        Assert.That(CudaTokenSampler.Blocks(streams), Is.EqualTo(blocks));
        Assert.That(CudaTokenSampler.Blocks(streams) * CudaInferenceEngine.BlockThreads / 32, Is.GreaterThanOrEqualTo(streams));
    }

    [TestCase(65, 1)]
    [TestCase(200, 1)]
    [TestCase(341, 1)]
    [TestCase(342, 0)]
    [TestCase(400, 0)]
    public void Scratch_is_in_shared_memory_for_small_vocabularies_only(int vocab, int inShared)
    {
        var p = CudaTokenSampler.Parameters(1, 2, 3, 1, vocab, SamplingOptions.Greedy, 0, 0);
        Assert.That(p.ScratchInSharedMemory, Is.EqualTo(inShared));
        // Eight warps of three vocabulary-sized float arrays each, as sample_batch lays them out.
        Assert.That(CudaTokenSampler.SharedBytes(vocab), Is.EqualTo(inShared == 1 ? 8 * 3 * vocab * sizeof(float) : 0));
    }

    [Test]
    public void Parameters_carry_the_sampling_settings_and_write_the_token_to_one_place()
    {
        var sampling = new SamplingOptions { Temperature = 0.7f, TopK = 12, TopP = 0.85f };
        var p = CudaTokenSampler.Parameters(0x1000, 0x2000, 0x3000, 7, 65, sampling, 0xDEADBEEFUL, 1L << 40);
        Assert.Multiple(() =>
        {
            Assert.That(p.Logits, Is.EqualTo(0x1000UL));
            Assert.That(p.CurrentTokens, Is.EqualTo(0x2000UL));
            Assert.That(p.TokensOut, Is.EqualTo(0x2000UL));
            Assert.That(p.Scratch, Is.EqualTo(0x3000UL));
            Assert.That(p.Streams, Is.EqualTo(7));
            Assert.That(p.Vocab, Is.EqualTo(65));
            Assert.That(p.Temperature, Is.EqualTo(0.7f));
            Assert.That(p.TopK, Is.EqualTo(12));
            Assert.That(p.TopP, Is.EqualTo(0.85f));
            Assert.That(p.Seed, Is.EqualTo(0xDEADBEEFUL));
            Assert.That(p.Counter, Is.EqualTo(1L << 40));
            Assert.That(p.Layers, Is.Zero, "engine fields stay zero");
            Assert.That(p.Steps, Is.Zero, "engine fields stay zero");
        });
    }

    [Test]
    public void Every_RunParams_field_that_sample_batch_reads_is_filled()
    {
        string source = CudaInferenceEngine.ReadKernelSource();
        // C names in declaration order, zipped with the C# mirror (the ABI test checks the two agree).
        string body = Regex.Match(source, @"struct RunParams\s*\{(?<body>[^}]*)\}").Groups["body"].Value;
        string[] cNames = [.. Regex.Matches(body, @"^\s*[\w\s\*]+?\b(\w+);", RegexOptions.Multiline).Select(m => m.Groups[1].Value)];
        var fields = typeof(RunParams).GetFields();
        Assert.That(cNames, Has.Length.EqualTo(fields.Length));

        var read = new SortedSet<string>(StringComparer.Ordinal);
        // sample_stream dispatches to the register and scratch-memory versions, which read the sampling fields.
        string[] functions = ["sample_batch", "sample_stream", "sample_stream_regs", "sample_stream_smem"];
        foreach (string function in functions.Select(name => $@"\b{name}\s*\(\s*const\s+RunParams\s*&?\s*p\b"))
        {
            string code = FunctionBody(source, function);
            foreach (Match m in Regex.Matches(code, @"\bp\.(\w+)"))
            {
                read.Add(m.Groups[1].Value);
            }
        }
        Assert.That(read, Is.Not.Empty);

        // Non-zero inputs everywhere, so an unfilled field is the only way to read zero.
        var filled = CudaTokenSampler.Parameters(0x1000, 0x2000, 0x3000, 7, 65, new SamplingOptions { Temperature = 0.7f, TopK = 12, TopP = 0.85f }, 5, 9);
        var unfilled = read
            .Where(name => Array.IndexOf(cNames, name) is var i && (i < 0 || Convert.ToDouble(fields[i].GetValue(filled), System.Globalization.CultureInfo.InvariantCulture) == 0))
            .ToArray();
        Assert.That(unfilled, Is.Empty, $"sample_batch reads {string.Join(", ", read)}; CudaTokenSampler.Parameters leaves these unset");
    }

    // The brace-balanced body of the first function whose signature matches the pattern.
    private static string FunctionBody(string source, string signature)
    {
        var match = Regex.Match(source, signature);
        Assert.That(match.Success, $"no function matching {signature} in the kernel source");
        int open = source.IndexOf('{', match.Index);
        int depth = 0;
        for (int i = open; i < source.Length; i++)
        {
            depth += source[i] switch { '{' => 1, '}' => -1, _ => 0 };
            if (depth == 0)
            {
                return source[open..(i + 1)];
            }
        }
        Assert.Fail($"unbalanced braces after {signature}");
        return "";
    }

    // 1 / 1e-39 overflows float32: the options are greedy, and the kernels are told so with temperature 0.
    [Test]
    public void A_temperature_whose_inverse_overflows_is_passed_as_greedy()
    {
        var p = CudaTokenSampler.Parameters(1, 2, 3, 1, 65, new SamplingOptions { Temperature = 1e-39f }, 0, 0);
        Assert.That(p.Temperature, Is.Zero);
    }

    [Test]
    public void The_non_finite_sentinel_in_an_output_row_is_a_typed_error_naming_step_and_stream()
    {
        Assert.DoesNotThrow(() => NonFiniteTokens.ThrowIfAny([0, 5, 64, 3], streams: 2, firstStep: 10));
        var e = Assert.Throws<NonFiniteLogitsException>(() => NonFiniteTokens.ThrowIfAny([0, 5, 64, NonFiniteTokens.Sentinel], streams: 2, firstStep: 10));
        Assert.That((e!.Step, e.Stream), Is.EqualTo(((long?)11, (int?)1)));
        var single = Assert.Throws<NonFiniteLogitsException>(() => NonFiniteTokens.ThrowIfAny([7, NonFiniteTokens.Sentinel], streams: 1, firstStep: 0));
        Assert.That((single!.Step, single.Stream), Is.EqualTo(((long?)1, (int?)null)));
    }

    // The host's sentinel is the kernels' TOKEN_NONFINITE, and every sampler that writes an output row feeds fed_token's
    // non-negative token back (never the sentinel) to the next step.
    [Test]
    public void The_kernels_write_the_host_sentinel_and_never_feed_it()
    {
        string source = CudaInferenceEngine.ReadKernelSource([TensorCoreKernels.SourceFile]);
        Assert.That(source, Does.Contain($"#define TOKEN_NONFINITE ({NonFiniteTokens.Sentinel})"));
        Assert.That(source, Does.Contain("p.cur_tokens[s] = fed_token(tok);").And.Contain("stok[s] = fed_token(tok);")
            .And.Contain("const int picked = fed_token(out);").And.Contain("tok[s] = fed_token(picked);")
            .And.Contain("next_tokens[s] = fed_token(token);"));
    }
}
