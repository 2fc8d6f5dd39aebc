namespace CharRnn.Inference.Engine;

/// <summary>One step of an engine build, reported to the <see cref="IProgress{T}"/> given to <see cref="InferenceEngine.CreateAsync"/>.</summary>
/// <param name="Stage">The step starting (or, for <see cref="EngineBuildStage.Ready"/>, the end).</param>
/// <param name="Description">The step in words, for a progress line: <c>building the Cuda engine</c>.</param>
public sealed record EngineBuildProgress(EngineBuildStage Stage, string Description);
