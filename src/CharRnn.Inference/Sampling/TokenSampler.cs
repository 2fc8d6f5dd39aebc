using System.Numerics.Tensors;

namespace CharRnn.Inference.Sampling;

/// <summary>
/// The sampling rule every backend implements (GPU kernels reproduce it step by step):
/// <list type="number">
/// <item>Greedy (temperature 0): the index of the largest logit, lowest index on ties.</item>
/// <item>Otherwise weights <c>w[i] = exp((logit[i] - max) / T)</c> in float32.</item>
/// <item>Top-k (0 &lt; k &lt; V): keep the k largest weights, ordering ties by lower index first.</item>
/// <item>Top-p (p &lt; 1): order the kept weights largest first (ties: lower index first) and keep the shortest prefix
/// whose sum reaches <c>p</c> times the kept total.</item>
/// <item>Draw <c>u = CounterRng.Uniform(seed, stream, counter)</c>, set <c>target = u * sum(kept)</c>, walk the kept
/// indices in increasing order adding weights, and pick the first whose running sum exceeds target (the last kept
/// index if rounding leaves none).</item>
/// </list>
/// Logits whose maximum is not finite (any NaN, any +infinity, or all -infinity) have no distribution: the rule throws
/// <see cref="NonFiniteLogitsException"/> (GPU kernels report the id -1, which their hosts turn into that exception). A
/// temperature so small that <c>1 / T</c> overflows float32 would make every weight NaN or 0; such options are greedy
/// (<see cref="SamplingOptions.IsGreedy"/>), which is the limit of the distribution as T goes to 0.
/// </summary>
public static class TokenSampler
{
    /// <summary>Picks an id from one row of logits. <paramref name="scratch"/> must hold at least <c>2 * logits.Length</c> floats.</summary>
    /// <exception cref="NonFiniteLogitsException">The logits hold NaN or +infinity, or are all -infinity.</exception>
    public static int Sample(ReadOnlySpan<float> logits, SamplingOptions options, float uniform, Span<float> scratch)
    {
        ArgumentNullException.ThrowIfNull(options);
        // TensorPrimitives.Max returns NaN when any logit is NaN.
        float max = TensorPrimitives.Max(logits);
        if (!float.IsFinite(max))
        {
            throw new NonFiniteLogitsException(step: null, stream: null);
        }
        if (options.IsGreedy)
        {
            return TensorPrimitives.IndexOfMax(logits);
        }
        int v = logits.Length;
        var weights = scratch[..v];
        float invT = 1f / options.Temperature;
        for (int i = 0; i < v; i++)
        {
            weights[i] = MathF.Exp((logits[i] - max) * invT);
        }

        bool cutTopK = options.TopK > 0 && options.TopK < v;
        bool cutTopP = options.TopP < 1f;
        if (cutTopK || cutTopP)
        {
            Restrict(weights, cutTopK ? options.TopK : v, cutTopP ? options.TopP : 1f, scratch.Slice(v, v));
        }

        float total = 0f;
        int last = -1;
        for (int i = 0; i < v; i++)
        {
            if (weights[i] > 0f)
            {
                total += weights[i];
                last = i;
            }
        }
        float target = uniform * total;
        float acc = 0f;
        for (int i = 0; i < v; i++)
        {
            if (weights[i] > 0f)
            {
                acc += weights[i];
                if (acc > target)
                {
                    return i;
                }
            }
        }
        // The maximum's weight is exp(0) = 1 and no cut drops it, so some weight is positive; should every weight still
        // vanish, the argmax is the limit the distribution tends to.
        return last >= 0 ? last : TensorPrimitives.IndexOfMax(logits);
    }

    // Zeroes every weight outside the top-k / top-p set. Ranks by (weight desc, index asc): O(V^2) on the vocabulary,
    // which is tiny (tens to hundreds of characters) and keeps the rule exact and easy to mirror on the GPU.
    private static void Restrict(Span<float> weights, int k, float p, Span<float> kept)
    {
        int v = weights.Length;
        Span<int> order = v <= 1024 ? stackalloc int[v] : new int[v];
        for (int i = 0; i < v; i++)
        {
            int rank = 0;
            float wi = weights[i];
            for (int j = 0; j < v; j++)
            {
                float wj = weights[j];
                if (wj > wi || (wj == wi && j < i))
                {
                    rank++;
                }
            }
            order[rank] = i;
        }
        float topKTotal = 0f;
        for (int r = 0; r < k; r++)
        {
            topKTotal += weights[order[r]];
        }
        kept.Clear();
        float threshold = p * topKTotal;
        float acc = 0f;
        for (int r = 0; r < k; r++)
        {
            int i = order[r];
            kept[i] = weights[i];
            acc += weights[i];
            if (acc >= threshold)
            {
                break;
            }
        }
        kept.CopyTo(weights);
    }
}
