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
        }, roundToTf32: false);
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

    [Test]
    public void Tf32_weights_are_the_float32_weights_rounded_and_the_table_and_biases_are_not()
    {
        var network = TfToTrtWeightConverter.Convert(SeededModels.Create(2, 37, 0, seed: 4));
        var exact = new List<float[]>();
        var rounded = new List<float[]>();
        _ = new BatchWeights(network, data =>
        {
            exact.Add(data);
            return 1;
        }, roundToTf32: false);
        _ = new BatchWeights(network, data =>
        {
            rounded.Add(data);
            return 1;
        }, roundToTf32: true);
        // Upload order: layer 0 weights, bias, layer 1 weights, bias, table, projection.
        int[] weightUploads = [0, 2, 5];
        for (int i = 0; i < exact.Count; i++)
        {
            var expected = weightUploads.Contains(i) ? exact[i].Select(BatchWeights.RoundToTf32).ToArray() : exact[i];
            Assert.That(rounded[i], Is.EqualTo(expected), $"upload {i}");
        }
        Assert.That(rounded[2], Is.Not.EqualTo(exact[2]), "random weights need rounding");
    }

    [Test]
    public void RoundToTf32_rounds_to_the_nearest_10_bit_mantissa_with_ties_away_from_zero()
    {
        Assert.Multiple(() =>
        {
            Assert.That(BatchWeights.RoundToTf32(1f), Is.EqualTo(1f));
            Assert.That(BatchWeights.RoundToTf32(1f + MathF.Pow(2, -11)), Is.EqualTo(1f + MathF.Pow(2, -10)), "a tie goes away from zero");
            Assert.That(BatchWeights.RoundToTf32(-1f - MathF.Pow(2, -11)), Is.EqualTo(-1f - MathF.Pow(2, -10)));
            Assert.That(BatchWeights.RoundToTf32(1f + MathF.Pow(2, -11) - MathF.Pow(2, -23)), Is.EqualTo(1f), "below the tie goes down");
            Assert.That(BatchWeights.RoundToTf32(float.NaN), Is.NaN);
            Assert.That(BatchWeights.RoundToTf32(float.NegativeInfinity), Is.EqualTo(float.NegativeInfinity));
        });
        // Against an independent rule in double: the two neighbouring 10-bit-mantissa values, nearer one, ties away.
        var random = new Random(11);
        for (int i = 0; i < 100_000; i++)
        {
            float x = (float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-30, 30)));
            double magnitude = Math.Abs((double)x);
            double unit = Math.Pow(2, Math.Floor(Math.Log2(magnitude)) - 10);
            double down = Math.Floor(magnitude / unit) * unit, up = down + unit;
            double nearest = magnitude - down < up - magnitude ? down : up;
            Assert.That(BatchWeights.RoundToTf32(x), Is.EqualTo((float)(Math.Sign(x) * nearest)), $"x = {x:R}");
        }
    }
}
