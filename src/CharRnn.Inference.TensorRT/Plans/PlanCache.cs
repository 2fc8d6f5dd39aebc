namespace CharRnn.Inference.TensorRT.Plans;

/// <summary>
/// Serialized plans on disk, one file per <see cref="PlanCacheKey.FileName"/>. Writes go to a temporary file renamed
/// into place, so readers never see half a plan; a plan TensorRT refuses is deleted and rebuilt by the caller.
/// Thread-safe (the file system arbitrates).
/// </summary>
internal sealed class PlanCache(string directory)
{
    // A plan holds the weights plus kernels: far below this for any char-rnn; a bigger file is not one of ours.
    private const long MaxPlanBytes = 1L << 31;

    public string Directory { get; } = directory;

    public string PathOf(PlanCacheKey key) => Path.Combine(Directory, key.FileName);

    /// <summary>The cached plan, or null when there is none (or it cannot be read).</summary>
    public byte[]? TryRead(PlanCacheKey key)
    {
        string path = PathOf(key);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length == 0 || info.Length > MaxPlanBytes)
            {
                return null;
            }
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write(PlanCacheKey key, ReadOnlySpan<byte> plan)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string path = PathOf(key);
        string temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, plan.ToArray());
        File.Move(temporary, path, overwrite: true);
    }

    public void Delete(PlanCacheKey key)
    {
        try
        {
            File.Delete(PathOf(key));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another process may hold or have replaced it; the next write overwrites it anyway.
        }
    }
}
