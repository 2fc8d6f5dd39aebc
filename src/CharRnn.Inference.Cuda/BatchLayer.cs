namespace CharRnn.Inference.Cuda;

/// <summary>One layer's weights on the many-stream path.</summary>
/// <param name="WeightsPointer">Permuted [W | R] rows, <c>[PaddedN][PaddedK]</c>.</param>
/// <param name="BiasPointer">Permuted Wb + Rb, <c>[PaddedN]</c> (layer 0 uses the table instead).</param>
/// <param name="InputWidth">Columns of x (0 for layer 0, whose input projection is the table).</param>
/// <param name="Width">Columns of [x | h].</param>
/// <param name="PaddedK">Width rounded up to the K tile.</param>
internal readonly record struct BatchLayer(ulong WeightsPointer, ulong BiasPointer, int InputWidth, int Width, int PaddedK);
