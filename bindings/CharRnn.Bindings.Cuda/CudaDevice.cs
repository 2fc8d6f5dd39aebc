using System.Runtime.InteropServices;
using static CharRnn.Bindings.Cuda.CudaDriver;

namespace CharRnn.Bindings.Cuda;

/// <summary>A CUDA device and the properties this library uses. Immutable.</summary>
public sealed unsafe class CudaDevice
{
    private CudaDevice(int ordinal, int handle)
    {
        Ordinal = ordinal;
        Handle = handle;
        byte* name = stackalloc byte[256];
        Check(CudaDriverNative.cuDeviceGetName(name, 256, handle));
        Name = Marshal.PtrToStringUTF8((nint)name) ?? $"CUDA device {ordinal}";
        MultiprocessorCount = Attribute(CudaDeviceAttribute.MultiprocessorCount);
        ComputeCapability = new Version(Attribute(CudaDeviceAttribute.ComputeCapabilityMajor), Attribute(CudaDeviceAttribute.ComputeCapabilityMinor));
        MaxSharedMemoryPerBlockOptin = Attribute(CudaDeviceAttribute.MaxSharedMemoryPerBlockOptin);
        SupportsCooperativeLaunch = Attribute(CudaDeviceAttribute.CooperativeLaunch) != 0;
        nuint total = 0;
        Check(CudaDriverNative.cuDeviceTotalMem(&total, handle));
        TotalMemory = (long)total;
    }

    /// <summary>Number of CUDA devices (0 when the driver is not initialized).</summary>
    public static int Count
    {
        get
        {
            if (!IsSupported)
            {
                return 0;
            }
            int count = 0;
            return CudaDriverNative.cuDeviceGetCount(&count) == CuResult.CUDA_SUCCESS ? count : 0;
        }
    }

    /// <summary>The device's ordinal.</summary>
    public int Ordinal { get; }

    /// <summary>The device's name, for example "NVIDIA H100 80GB HBM3".</summary>
    public string Name { get; }

    /// <summary>Number of streaming multiprocessors.</summary>
    public int MultiprocessorCount { get; }

    /// <summary>Compute capability (9.0 for Hopper).</summary>
    public Version ComputeCapability { get; }

    /// <summary>Largest dynamic shared memory a block may opt in to, in bytes.</summary>
    public int MaxSharedMemoryPerBlockOptin { get; }

    /// <summary>Whether cuLaunchCooperativeKernel is supported.</summary>
    public bool SupportsCooperativeLaunch { get; }

    /// <summary>Device memory in bytes.</summary>
    public long TotalMemory { get; }

    /// <summary>
    /// Whether <see cref="CudaFunction.LaunchProgrammaticDependent{TArgs}"/> works here: compute capability 9.0 and
    /// newer (griddepcontrol) with a driver of CUDA 12.0 or newer (cuLaunchKernelEx).
    /// </summary>
    public bool SupportsProgrammaticDependentLaunch => ComputeCapability.Major >= 9 && CudaDriver.DriverVersion >= 12000;

    /// <summary>The architecture name for compilers, for example <c>sm_90</c>.</summary>
    public string Architecture => $"sm_{ComputeCapability.Major}{ComputeCapability.Minor}";

    internal int Handle { get; }

    /// <summary>Gets device <paramref name="ordinal"/>; the driver must be initialized.</summary>
    public static CudaDevice Get(int ordinal)
    {
        EnsureInitialized();
        int handle = 0;
        Check(CudaDriverNative.cuDeviceGet(&handle, ordinal));
        return new CudaDevice(ordinal, handle);
    }

    /// <summary>Reads a device attribute.</summary>
    public int Attribute(CudaDeviceAttribute attribute)
    {
        int value = 0;
        Check(CudaDriverNative.cuDeviceGetAttribute(&value, (int)attribute, Handle));
        return value;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Architecture}, {MultiprocessorCount} SMs)";
}

/// <summary>Device attributes (CUdevice_attribute values from cuda.h).</summary>
public enum CudaDeviceAttribute
{
    /// <summary>CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT.</summary>
    MultiprocessorCount = 16,
    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR.</summary>
    ComputeCapabilityMajor = 75,
    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR.</summary>
    ComputeCapabilityMinor = 76,
    /// <summary>CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH.</summary>
    CooperativeLaunch = 95,
    /// <summary>CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN.</summary>
    MaxSharedMemoryPerBlockOptin = 97,
}
