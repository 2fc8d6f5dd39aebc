using CharRnn.Inference.Model;

namespace CharRnn.Inference.Tests.Reference;

/// <summary>
/// An independent float64 implementation of tensorflow-char-rnn's forward pass, written from the TF BasicLSTMCell
/// equations (FACTS.md section 2) on the TF-layout tensors, sharing no code with the converter or the engines:
/// z = concat([x, h]) @ kernel + bias; i, j, f, o = split(z); c' = c*sigmoid(f + forget_bias) + sigmoid(i)*tanh(j);
/// h' = tanh(c')*sigmoid(o); logits = h_last @ softmax_w + softmax_b.
/// </summary>
internal sealed class TfLstmReference
{
    private readonly int _layers, _hidden, _input, _vocab;
    private readonly double[][] _kernels, _biases;
    private readonly double[]? _embedding;
    private readonly double[] _softmaxW, _softmaxB;
    private readonly double _forgetBias;
    private readonly double[][] _h, _c;

    public TfLstmReference(CharRnnModel model, double forgetBias = 0.0)
    {
        var d = model.Dimensions;
        (_layers, _hidden, _input, _vocab) = (d.LayerCount, d.HiddenSize, d.InputSize, d.VocabularySize);
        _kernels = [.. model.Layers.Select(l => ToDouble(l.Kernel.Values))];
        _biases = [.. model.Layers.Select(l => ToDouble(l.Bias.Values))];
        _embedding = model.Embedding is null ? null : ToDouble(model.Embedding.Values);
        _softmaxW = ToDouble(model.SoftmaxWeights.Values);
        _softmaxB = ToDouble(model.SoftmaxBias.Values);
        _forgetBias = forgetBias;
        _h = [.. Enumerable.Range(0, _layers).Select(_ => new double[_hidden])];
        _c = [.. Enumerable.Range(0, _layers).Select(_ => new double[_hidden])];
    }

    public void Reset()
    {
        foreach (var a in _h) Array.Clear(a);
        foreach (var a in _c) Array.Clear(a);
    }

    /// <summary>Feeds one character and returns the logits that follow it.</summary>
    public double[] Step(int token)
    {
        double[] x;
        if (_embedding is null)
        {
            x = new double[_vocab];
            x[token] = 1.0;
        }
        else
        {
            x = _embedding.AsSpan(token * _input, _input).ToArray();
        }
        for (int k = 0; k < _layers; k++)
        {
            int inSize = x.Length, cols = 4 * _hidden;
            double[] kernel = _kernels[k];
            var z = (double[])_biases[k].Clone();
            // z += concat([x, h]) @ kernel, row by row (rows of zeros, as in one-hot input, add nothing).
            for (int row = 0; row < inSize + _hidden; row++)
            {
                double a = row < inSize ? x[row] : _h[k][row - inSize];
                if (a == 0)
                {
                    continue;
                }
                int offset = row * cols;
                for (int col = 0; col < cols; col++)
                {
                    z[col] += a * kernel[offset + col];
                }
            }
            for (int u = 0; u < _hidden; u++)
            {
                double i = z[u], j = z[_hidden + u], f = z[2 * _hidden + u], o = z[3 * _hidden + u];
                _c[k][u] = _c[k][u] * Sigmoid(f + _forgetBias) + Sigmoid(i) * Math.Tanh(j);
                _h[k][u] = Math.Tanh(_c[k][u]) * Sigmoid(o);
            }
            x = (double[])_h[k].Clone();
        }
        var logits = new double[_vocab];
        for (int v = 0; v < _vocab; v++)
        {
            double s = _softmaxB[v];
            for (int u = 0; u < _hidden; u++)
            {
                s += x[u] * _softmaxW[u * _vocab + v];
            }
            logits[v] = s;
        }
        return logits;
    }

    /// <summary>sampleCharRNN's greedy rule: feed the prime, then argmax and feed back.</summary>
    public int[] Greedy(IReadOnlyList<int> prime, int count)
    {
        Reset();
        double[] logits = [];
        foreach (int t in prime)
        {
            logits = Step(t);
        }
        var result = new int[count];
        for (int n = 0; n < count; n++)
        {
            result[n] = ArgMax(logits);
            logits = Step(result[n]);
        }
        return result;
    }

    /// <summary>Sum of ln p(next | previous) over the text from a zero state (the first id is context).</summary>
    public double LogLikelihood(IReadOnlyList<int> ids)
    {
        Reset();
        double sum = 0;
        for (int t = 0; t + 1 < ids.Count; t++)
        {
            var logits = Step(ids[t]);
            double max = logits.Max();
            double z = logits.Sum(l => Math.Exp(l - max));
            sum += logits[ids[t + 1]] - max - Math.Log(z);
        }
        return sum;
    }

    public static int ArgMax(double[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best]) best = i;
        }
        return best;
    }

    private static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    private static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }
}
