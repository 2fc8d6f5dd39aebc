namespace CharRnn.Inference.Cpu;

/// <summary>How the CPU engine stores the weights of the LSTM layers and the output layer. Arithmetic is float32 in every mode.</summary>
public enum CpuPrecision
{
    /// <summary>float32 weights: the numerical reference, within 1e-5 of a float64 implementation.</summary>
    Float32 = 0,

    /// <summary>
    /// bfloat16 weights (float32's upper 16 bits, rounded to nearest even), widened to float32 as they are read: half the
    /// bytes per character, which is what limits one stream. Logits drift from float32 by about the weights' rounding
    /// (relative 2^-9 per product); docs/perf/CPU.md gives the measured perplexity and greedy agreement on the default
    /// model and the speed against float32 and ONNX Runtime.
    /// </summary>
    BFloat16 = 1,
}
