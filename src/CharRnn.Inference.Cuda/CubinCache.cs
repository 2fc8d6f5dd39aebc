using System.Security.Cryptography;
using System.Text;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// Compiled kernels on disk, so that NVRTC runs once per (kernel source, architecture, NVRTC version, driver version,
/// options). An entry is <c>magic, SHA-256 of the payload, payload</c>; one that is truncated or altered fails the
/// check and is rebuilt. Writes go to a temporary file first, so concurrent processes never see half an entry.
/// </summary>
internal static class CubinCache
{
    private static readonly byte[] Magic = "CHARRNN-CUBIN-1\n"u8.ToArray();
    private const int HashLength = 32;

    /// <summary><c>$XDG_CACHE_HOME/charrnn/cubin</c>, else the local application data folder, else the temp folder.</summary>
    public static string DefaultDirectory()
    {
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg)
        {
            return Path.Combine(xdg, "charrnn", "cubin");
        }
        string local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        return Path.Combine(local.Length > 0 ? local : Path.GetTempPath(), "charrnn", "cubin");
    }

    /// <summary>The entry's key: a hash of everything that changes the compiled code.</summary>
    public static string ComputeKey(string source, string architecture, int nvrtcVersion, int driverVersion, IEnumerable<string> options)
    {
        var text = new StringBuilder();
        text.Append(source).Append('\0').Append(architecture).Append('\0')
            .Append(nvrtcVersion).Append('\0').Append(driverVersion).Append('\0').AppendJoin('\0', options);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Reads an entry; false (with the reason) when it is missing, truncated or fails its checksum.</summary>
    public static bool TryRead(string path, out byte[] cubin, out string reason)
    {
        cubin = [];
        byte[] file;
        try
        {
            if (!File.Exists(path))
            {
                reason = "missing";
                return false;
            }
            file = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = e.Message;
            return false;
        }
        if (file.Length <= Magic.Length + HashLength || !file.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            reason = "not a cubin cache entry (bad header or truncated)";
            return false;
        }
        var payload = file.AsSpan(Magic.Length + HashLength);
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(file.AsSpan(Magic.Length, HashLength)))
        {
            reason = "checksum mismatch (corrupt entry)";
            return false;
        }
        cubin = payload.ToArray();
        reason = "";
        return true;
    }

    /// <summary>Writes an entry atomically; false (with the reason) when the folder is not writable.</summary>
    public static bool TryWrite(string path, ReadOnlySpan<byte> cubin, out string reason)
    {
        string temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var stream = File.Create(temp))
            {
                stream.Write(Magic);
                stream.Write(SHA256.HashData(cubin));
                stream.Write(cubin);
            }
            File.Move(temp, path, overwrite: true);
            reason = "";
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // Best effort: a stray temporary file is harmless.
            }
            reason = e.Message;
            return false;
        }
    }

    /// <summary>Removes an entry that could not be used (best effort).</summary>
    public static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stale entry that cannot be deleted is overwritten by the next successful write.
        }
    }
}
