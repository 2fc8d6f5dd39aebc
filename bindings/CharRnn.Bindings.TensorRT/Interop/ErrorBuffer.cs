using System.Runtime.CompilerServices;

namespace CharRnn.Bindings.TensorRT.Interop;

/// <summary>The caller-owned buffer every shim call writes its error message into; lives on the caller's stack.</summary>
[InlineArray(Size)]
internal struct ErrorBuffer
{
    public const int Size = 1024;

    private byte _element0;
}
