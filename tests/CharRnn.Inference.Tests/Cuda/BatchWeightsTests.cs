using CharRnn.Inference.Conversion;
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
        var batch = new BatchWeights(network, CudaPrecision.Float32, data =>
        {
            uploads.Add(data);
            return (ulong)uploads.Count;
        }, NoSixteenBitUploads);
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
        float[] cpuTable = Layer0InputTable.Compute(network);
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
        var (exact, _) = Uploads(network, CudaPrecision.Float32);
        var (rounded, _) = Uploads(network, CudaPrecision.Tf32);
        // Upload order: layer 0 weights, bias, layer 1 weights, bias, table, projection.
        int[] weightUploads = [0, 2, 5];
        for (int i = 0; i < exact.Count; i++)
        {
            var expected = weightUploads.Contains(i) ? exact[i].Select(BatchWeights.RoundToTf32).ToArray() : exact[i];
            Assert.That(rounded[i], Is.EqualTo(expected), $"upload {i}");
        }
        Assert.That(rounded[2], Is.Not.EqualTo(exact[2]), "random weights need rounding");
    }

    /// <summary>
    /// FP16 and BF16 engines upload the layer and projection weights as 16-bit values (the float32 ones rounded to
    /// nearest even) and the table and biases as the same floats as a float32 engine.
    /// </summary>
    [TestCase(CudaPrecision.Float16)]
    [TestCase(CudaPrecision.BFloat16)]
    public void Sixteen_bit_weights_are_the_float32_weights_rounded_and_the_table_and_biases_are_floats(CudaPrecision precision)
    {
        var network = TfToTrtWeightConverter.Convert(SeededModels.Create(2, 37, 0, seed: 4));
        var (exact, _) = Uploads(network, CudaPrecision.Float32);
        var (floats, narrow) = Uploads(network, precision);
        // Float32 upload order: layer 0 weights, bias, layer 1 weights, bias, table, projection.
        Assert.Multiple(() =>
        {
            Assert.That(floats, Is.EqualTo(new[] { exact[1], exact[3], exact[4] }), "biases and table");
            Assert.That(narrow, Has.Count.EqualTo(3), "layer 0, layer 1 and projection weights");
        });
        int[] weightUploads = [0, 2, 5];
        for (int i = 0; i < 3; i++)
        {
            float[] source = exact[weightUploads[i]];
            Assert.That(narrow[i], Has.Length.EqualTo(source.Length));
            for (int j = 0; j < source.Length; j++)
            {
                double expected = precision == CudaPrecision.Float16 ? NearestHalf(source[j]) : NearestBFloat16(source[j]);
                double actual = precision == CudaPrecision.Float16 ? (double)BitConverter.UInt16BitsToHalf(narrow[i][j])
                    : BitConverter.UInt32BitsToSingle((uint)narrow[i][j] << 16);
                Assert.That(actual, Is.EqualTo(expected), $"upload {i} element {j}: {source[j]:R}");
            }
        }
    }

    [Test]
    public void Float16_refuses_a_weight_beyond_its_range_and_bfloat16_keeps_it()
    {
        var error = Assert.Throws<ModelFormatException>(() => BatchWeights.RoundToHalfBits(70000f, "layer 1"));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("layer 1").And.Contain("70000").And.Contain("BFloat16"));
            Assert.That(BitConverter.UInt16BitsToHalf(BatchWeights.RoundToHalfBits(65519f, "x")), Is.EqualTo((Half)65504f), "below the rounding threshold to infinity");
            Assert.That(Half.IsPositiveInfinity(BitConverter.UInt16BitsToHalf(BatchWeights.RoundToHalfBits(float.PositiveInfinity, "x"))), "an infinite weight stays infinite");
            Assert.That(BitConverter.UInt32BitsToSingle((uint)BatchWeights.RoundToBFloat16Bits(70000f) << 16), Is.EqualTo(70144f), "bfloat16 spacing at 2^16 is 512");
            Assert.That(float.IsNaN(BitConverter.UInt32BitsToSingle((uint)BatchWeights.RoundToBFloat16Bits(BitConverter.UInt32BitsToSingle(0x7F800001u)) << 16)), "a NaN whose payload lies in the dropped bits stays a NaN");
        });
    }

    [Test]
    public void RoundToBFloat16Bits_rounds_to_the_nearest_7_bit_mantissa_with_ties_to_even()
    {
        Assert.Multiple(() =>
        {
            Assert.That(BFloat16(1f + MathF.Pow(2, -8)), Is.EqualTo(1f), "a tie goes to the even neighbour (down)");
            Assert.That(BFloat16(1f + 3 * MathF.Pow(2, -8)), Is.EqualTo(1f + MathF.Pow(2, -6)), "a tie goes to the even neighbour (up)");
            Assert.That(BFloat16(-1f - 3 * MathF.Pow(2, -8)), Is.EqualTo(-1f - MathF.Pow(2, -6)));
            Assert.That(BFloat16(float.MaxValue), Is.EqualTo(float.PositiveInfinity), "past the largest bfloat16 rounds to infinity");
        });
        var random = new Random(12);
        for (int i = 0; i < 100_000; i++)
        {
            float x = (float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-30, 30)));
            Assert.That(BFloat16(x), Is.EqualTo((float)NearestBFloat16(x)), $"x = {x:R}");
        }
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

    private static ulong NoSixteenBitUploads(ushort[] data) => throw new AssertionException("no 16-bit upload expected");

    // What BatchWeights uploads for the precision, in order: floats and 16-bit values (only 16-bit precisions may
    // upload those).
    private static (List<float[]> Floats, List<ushort[]> Narrow) Uploads(NetworkWeights network, CudaPrecision precision)
    {
        var floats = new List<float[]>();
        var narrow = new List<ushort[]>();
        _ = new BatchWeights(network, precision, data =>
        {
            floats.Add(data);
            return 1;
        }, precision is CudaPrecision.Float16 or CudaPrecision.BFloat16 ? data =>
        {
            narrow.Add(data);
            return 2;
        } : NoSixteenBitUploads);
        return (floats, narrow);
    }

    private static float BFloat16(float x) => BitConverter.UInt32BitsToSingle((uint)BatchWeights.RoundToBFloat16Bits(x) << 16);

    // Independent rules in double: the two neighbouring values with the format's mantissa bits, the nearer one, ties to
    // the one with an even last mantissa bit.
    private static double NearestBFloat16(float x) => NearestEven(x, mantissaBits: 7, minExponent: -126);

    private static double NearestHalf(float x) => NearestEven(x, mantissaBits: 10, minExponent: -14);

    private static double NearestEven(float x, int mantissaBits, int minExponent)
    {
        double magnitude = Math.Abs((double)x);
        if (magnitude == 0)
        {
            return x;
        }
        // Below the smallest normal the spacing stays that of the smallest normal (subnormals).
        double unit = Math.Pow(2, Math.Max(Math.Floor(Math.Log2(magnitude)), minExponent) - mantissaBits);
        double down = Math.Floor(magnitude / unit) * unit, up = down + unit;
        double nearest = magnitude - down < up - magnitude ? down
            : magnitude - down > up - magnitude ? up
            : Math.Floor(down / unit) % 2 == 0 ? down : up;
        return Math.Sign(x) * nearest;
    }
}
