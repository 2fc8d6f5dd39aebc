using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CharRnn.Bindings.TensorRT.Interop;

/// <summary>The one place shim statuses become exceptions.</summary>
internal static unsafe class ShimStatus
{
    /// <summary>Throws <see cref="TensorRtException"/> when <paramref name="status"/> is not OK, with the shim's message.</summary>
    public static void Check(int status, ref ErrorBuffer error, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == (int)TensorRtStatus.Ok)
        {
            return;
        }
        string message;
        fixed (ErrorBuffer* p = &error)
        {
            message = Marshal.PtrToStringUTF8((nint)p) ?? "";
        }
        throw new TensorRtException((TensorRtStatus)status, CallName(call), message.Length == 0 ? "the shim gave no message" : message);
    }

    // "NativeMethods.charrnn_trt_x(a, b, ...)" -> "charrnn_trt_x": the arguments are noise in a message.
    private static string CallName(string call)
    {
        int open = call.IndexOf('(', StringComparison.Ordinal);
        string head = open < 0 ? call : call[..open];
        int dot = head.LastIndexOf('.');
        return dot < 0 ? head : head[(dot + 1)..];
    }
}
