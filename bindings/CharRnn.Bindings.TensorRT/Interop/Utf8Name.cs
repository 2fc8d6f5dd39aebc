using System.Text;

namespace CharRnn.Bindings.TensorRT.Interop;

/// <summary>A NUL-terminated UTF-8 copy of a tensor name, for the shim's <c>const char*</c> parameters.</summary>
internal static class Utf8Name
{
    public static byte[] Of(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var bytes = new byte[Encoding.UTF8.GetByteCount(name) + 1];
        Encoding.UTF8.GetBytes(name, bytes);
        return bytes;
    }
}
