using CharRnn.Inference.Conversion;
using CharRnn.Inference.Cpu;
using CharRnn.Inference.Cuda;

namespace CharRnn.Inference.Tests.Cuda;

/// <summary>
/// The many-stream path's weight layout, checked on the host against the converted network: the kernel's fused cell
/// update is only right if row r of every layer holds gate r % 4 of unit r / 4 and padding is zero.
/// </summary>
public sealed class BatchWeightsTests
{
    [Test]
    public void Rows_hold_each_units_four_gates_in_turn_and_padding_is_zero()
    {
        const int hidden = 37, vocab = 65;
        var network = TfToTrtWeightConverter.Convert(SeededModels.Create(2, hidden, 0, seed: 4));
        var uploads = new List<float[]>();
        var batch = new BatchWeights(network, data =>
        {
            uploads.Add(data);
            return (ulong)uploads.Count;
        });
        // Upload order: per layer its weights and bias, then the input table, then the projection.
        Assert.Multiple(() =>
        {
            Assert.That(batch.PaddedN, Is.EqualTo(256), "4 x 37 gate rows padded to a multiple of 128");
            Assert.That(batch.Layers[1].PaddedK, Is.EqualTo(80), "[x | h] of 74 columns padded to a multiple of 16");
            Assert.That(batch.Layers[1].WeightsPointer, Is.EqualTo(3UL));
            Assert.That(batch.TablePointer, Is.EqualTo(5UL));
            Assert.That(batch.FcPaddedN, Is.EqualTo(96));
            Assert.That(batch.FcPaddedK, Is.EqualTo(48));
        });
        var layer = network.Layers[1];
        float[] w = uploads[2], bias = uploads[3], table = uploads[4], fc = uploads[5];
        float[] cpuTable = CpuInferenceEngine.BuildInputTable(network);
        for (int row = 0; row < batch.PaddedN; row++)
        {
            int unit = row / 4, gate = row % 4;
            bool real = unit < hidden;
            int original = gate * hidden + unit;
            for (int c = 0; c < 80; c++)
            {
                float expected = !real || c >= 74 ? 0f
                    : c < hidden ? layer.InputWeights[original * hidden + c]
                    : layer.RecurrentWeights[original * hidden + c - hidden];
                Assert.That(w[row * 80 + c], Is.EqualTo(expected), $"layer 1 row {row} column {c}");
            }
            Assert.That(bias[row], Is.EqualTo(real ? layer.InputBias[original] + layer.RecurrentBias[original] : 0f), $"bias row {row}");
            for (int v = 0; v < vocab; v++)
            {
                Assert.That(table[v * batch.PaddedN + row], Is.EqualTo(real ? cpuTable[v * 4 * hidden + original] : 0f), $"table {v} row {row}");
            }
        }
        for (int v = 0; v < batch.FcPaddedN; v++)
        {
            for (int c = 0; c < batch.FcPaddedK; c++)
            {
                float expected = v < vocab && c < hidden ? network.FcWeights[v * hidden + c] : 0f;
                Assert.That(fc[v * batch.FcPaddedK + c], Is.EqualTo(expected), $"projection row {v} column {c}");
            }
        }
    }
}
