using System.Runtime.InteropServices;

namespace CharRnn.Bindings.Cuda;

/// <summary>
/// Mirror of the driver's <c>CUlaunchConfig</c> (cuLaunchKernelEx): the launch shape, the stream and an array of
/// attributes. x86-64 layout: seven 32-bit fields, 4 bytes of padding, two pointers, one 32-bit count (56 bytes).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CuLaunchConfig
{
    public uint GridX;
    public uint GridY;
    public uint GridZ;
    public uint BlockX;
    public uint BlockY;
    public uint BlockZ;
    public uint SharedBytes;
    public nint Stream;
    public CuLaunchAttribute* Attributes;
    public uint AttributeCount;
}

/// <summary>
/// Mirror of the driver's <c>CUlaunchAttribute</c>: a 32-bit id, 4 bytes of padding, then a 64-byte value union whose
/// members used here are one int at its start (72 bytes).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
internal struct CuLaunchAttribute
{
    /// <summary>CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION.</summary>
    public const int ProgrammaticStreamSerialization = 6;

    [FieldOffset(0)]
    public int Id;

    [FieldOffset(8)]
    public int Value;
}
