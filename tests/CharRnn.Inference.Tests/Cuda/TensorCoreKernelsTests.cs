using CharRnn.Inference.Cuda;

namespace CharRnn.Inference.Tests.Cuda;

public sealed class TensorCoreKernelsTests
{
    /// <summary>
    /// The wgmma tiles run two blocks per multiprocessor, so that one block's copies and cell update overlap the other's
    /// products; the staged c (lstm_tensorcore.cu, tc_wgmma_lstm) must not cost the second block. A Hopper
    /// multiprocessor has 228 KB (233,472 bytes) of shared memory, of which each block also takes 1 KB (the reserved
    /// shared memory per block), and one block may have at most 227 KB.
    /// </summary>
    [TestCase(128, 3, 3 * 256 * 128 + 128 * 4 + 128 * 32 * 4)]
    [TestCase(64, 4, 4 * 192 * 128 + 64 * 4 + 64 * 32 * 4)]
    public void Two_wgmma_blocks_fit_in_a_hopper_multiprocessor(int rows, int stages, int expected)
    {
        const int perMultiprocessor = 228 * 1024, reservedPerBlock = 1024, perBlock = 227 * 1024;
        int bytes = TensorCoreKernels.WarpgroupSharedBytes(rows, stages);
        Assert.Multiple(() =>
        {
            Assert.That(bytes, Is.EqualTo(expected), "ring, tokens, then 32 floats of c per row");
            Assert.That(bytes, Is.LessThanOrEqualTo(perBlock));
            Assert.That(2 * (bytes + reservedPerBlock), Is.LessThanOrEqualTo(perMultiprocessor));
        });
    }
}
