namespace CharRnn.Inference.Engine;

/// <summary>The steps of building an engine, in order, as <see cref="EngineBuildProgress"/> reports them.</summary>
public enum EngineBuildStage
{
    /// <summary>Reading the model's weights (reported by helpers that load the model too).</summary>
    Loading = 0,
    /// <summary>Converting TensorFlow's LSTM layout to the per-gate layout every backend computes with.</summary>
    Converting,
    /// <summary>Choosing the backend and building its engine (compiling kernels or a TensorRT plan on a GPU).</summary>
    Building,
    /// <summary>The engine is built.</summary>
    Ready,
}
