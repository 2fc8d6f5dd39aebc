using CharRnn.Inference.Cuda;
using CharRnn.Inference.Model;

namespace CharRnn.Inference.Tests.Cuda;

/// <summary>
/// Which models the CUDA engine's resident kernel takes and how it lays them out (no GPU needed: the layout is decided
/// on the host from the model's shape and two device limits). The H100/H200 limits: 132 multiprocessors, 227 KB of
/// shared memory per block.
/// </summary>
[TestFixture]
public sealed class ResidentLayoutTests
{
    private const int Sms = 132;
    private const int SharedOptin = 232_448;

    [Test]
    public void The_seed_shape_runs_in_128_blocks_of_512_threads_for_up_to_4_streams()
    {
        var layout = ResidentLayout.TryCreate(new ModelDimensions(2, 512, 512, 65, true), Sms, SharedOptin, out string reason);
        Assert.That(layout, Is.Not.Null, reason);
        Assert.Multiple(() =>
        {
            Assert.That(layout!.UnitsPerBlock, Is.EqualTo(4));
            Assert.That(layout.Grid, Is.EqualTo(128));
            Assert.That(layout.Threads, Is.EqualTo(512));
            Assert.That(layout.MaxStreams, Is.EqualTo(4));
            Assert.That(layout.CompilerDefines, Is.EqualTo(new[] { "-DRES_H=512", "-DRES_L=2", "-DRES_U=4", "-DRES_V=65" }));
            // 16 words per h value of every layer, then 16 per logit (room for one word per 128-byte line).
            Assert.That(layout.ExchangeWords(3), Is.EqualTo(3L * (16 * 2 * 512 + 16 * 65)));
            // One stream adds the greedy build's speculated layer 0: 16 words per unit and token.
            Assert.That(layout.ExchangeWords(1), Is.EqualTo(16 * 2 * 512 + 16 * 65 + 16L * 512 * 65));
        });
    }

    [Test]
    public void One_layer_keeps_no_speculated_words()
    {
        // The kernel alternates them between steps (see RES_SPEC_PUB in lstm_resident.cu).
        var layout = ResidentLayout.TryCreate(new ModelDimensions(1, 64, 16, 65, true), Sms, SharedOptin, out string reason);
        Assert.That(layout, Is.Not.Null, reason);
        Assert.Multiple(() =>
        {
            Assert.That(layout!.ExchangeWords(1), Is.EqualTo(16 * 64 + 16 * 65), "the greedy build publishes no speculated layer 0 for one-layer models");
            Assert.That(layout.ExchangeWords(2), Is.EqualTo(2L * (16 * 64 + 16 * 65)));
        });
    }

    [Test]
    public void Shared_memory_of_one_stream_is_what_the_kernel_lays_out()
    {
        var layout = ResidentLayout.TryCreate(new ModelDimensions(2, 512, 512, 65, true), Sms, SharedOptin, out _)!;
        // Counted by hand from lstm_resident.cu's layout for B = 1, 16 warps, 1 projection row per block:
        // projection row 512 + its bias 4 (rounded) + table rows 65 x 16 + layer-1 biases 16 + h 2 x 512 + gates 16
        // + logits 68 (rounded) + sampling scratch 16 warps x 3 x 65 + token 1 + speculation 65 x (16 + 2 x 4)
        // + layer 0's c 4 + recurrent halves 16.
        const int floats = 512 + 4 + 1040 + 16 + 1024 + 16 + 68 + 3120 + 1 + 1560 + 4 + 16;
        Assert.That(layout.SharedBytes(1), Is.EqualTo(floats * sizeof(float)));
        Assert.That(layout.SharedBytes(4), Is.GreaterThan(layout.SharedBytes(1)));
    }

    [TestCase(2, 128, 1, 128)]
    [TestCase(3, 96, 1, 96)]
    [TestCase(1, 64, 1, 64)]
    [TestCase(2, 256, 2, 128)]
    public void Small_models_take_one_block_per_few_units(int layers, int hidden, int units, int grid)
    {
        var layout = ResidentLayout.TryCreate(new ModelDimensions(layers, hidden, 65, 65, false), Sms, SharedOptin, out string reason);
        Assert.That(layout, Is.Not.Null, reason);
        Assert.That((layout!.UnitsPerBlock, layout.Grid, layout.Threads), Is.EqualTo((units, grid, 128 * units)));
    }

    [TestCase(2, 100, 65, 132, SharedOptin, "not a multiple of 32")]
    [TestCase(2, 1024, 65, 132, SharedOptin, "would not stay in registers")]
    [TestCase(3, 512, 65, 132, SharedOptin, "would not stay in registers")]
    [TestCase(2, 512, 65, 32, SharedOptin, "do not divide over 32 multiprocessors")]
    [TestCase(2, 512, 2100, 132, SharedOptin, "more than one projection row per warp")]
    [TestCase(2, 512, 65, 132, 8_000, "does not fit")]
    public void Models_that_do_not_fit_fall_back_with_the_reason(int layers, int hidden, int vocab, int sms, int shared, string because)
    {
        var layout = ResidentLayout.TryCreate(new ModelDimensions(layers, hidden, 64, vocab, true), sms, shared, out string reason);
        Assert.That(layout, Is.Null);
        Assert.That(reason, Does.Contain(because));
    }
}
