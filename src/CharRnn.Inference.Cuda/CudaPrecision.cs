namespace CharRnn.Inference.Cuda;

/// <summary>
/// The arithmetic of the CUDA engine's many-stream path, where the step is a matrix-matrix product. Which sessions take
/// that path depends on the precision: in float32 those of 17 or more streams at the seed shape (2 x 512); with a
/// tensor-core precision on compute capability 9.0 (wgmma) every session that the resident kernel (1-4 streams of a
/// model that fits on chip) does not take, and elsewhere those of 9 or more. Other sessions compute in float32 on the
/// resident or the persistent kernel.
/// </summary>
public enum CudaPrecision
{
    /// <summary>
    /// Strict float32 (the default): every product and sum is a float32 operation, so logits stay within about 1e-6
    /// relative of the CPU engine and greedy text equals it.
    /// </summary>
    Float32 = 0,

    /// <summary>
    /// TF32 tensor cores (compute capability 8.0 and newer): the weights and the LSTM inputs are rounded to TF32
    /// (10 explicit mantissa bits, a relative rounding error of at most 2^-11) before each product, and the products
    /// are summed in float32, as cuDNN's and PyTorch's default math does. The cells are updated in float32 with sigmoid
    /// and tanh from the hardware's approximate tanh (absolute error at most about 8e-6, measured), as in every
    /// tensor-core precision. Each new h is kept rounded to TF32, the value the products read (a saved state's h holds
    /// it). Several times faster than <see cref="Float32"/> at 1024 streams and more
    /// (docs/PERFORMANCE.md#tensor-core-precisions); logits differ from the CPU engine by about 1e-3 relative, so greedy text can part from it where two
    /// characters' logits are that close. On older devices the engine computes in <see cref="Float32"/> and logs a warning.
    /// </summary>
    Tf32 = 1,

    /// <summary>
    /// FP16 tensor cores (compute capability 8.0 and newer): the layer and projection weights are stored as IEEE
    /// half-precision numbers and each new h is rounded to one (round to nearest even, 10 explicit mantissa bits, as
    /// TF32) before the next product reads it; products are summed, and cells updated, in float32. Twice the tensor-core
    /// rate of <see cref="Tf32"/> and half the bytes moved per product; its drift against float32 is measured in
    /// docs/PERFORMANCE.md#tensor-core-precisions. A saved state's h holds the rounded values the products read. A model
    /// with a weight beyond the half-precision range (65504) is refused with a
    /// <see cref="ModelFormatException"/>. On older devices the engine computes in <see cref="Float32"/> and logs a
    /// warning.
    /// </summary>
    Float16 = 2,

    /// <summary>
    /// BF16 tensor cores (compute capability 8.0 and newer): as <see cref="Float16"/>, but weights and h are rounded to
    /// bfloat16 (float32's range, 7 explicit mantissa bits: a relative rounding error of at most 2^-8, 8 times
    /// <see cref="Float16"/>'s), so no model is refused and the logits drift more. On older devices the engine computes
    /// in <see cref="Float32"/> and logs a warning.
    /// </summary>
    BFloat16 = 3,
}
