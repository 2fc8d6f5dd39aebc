using static CharRnn.Bindings.Cuda.CudaDriver;

namespace CharRnn.Bindings.Cuda;

/// <summary>
/// A kernel. Launches take the kernel's parameters as one unmanaged struct passed by value, which must match the
/// kernel's single C struct parameter field for field. Thread-safe.
/// </summary>
public sealed unsafe class CudaFunction
{
    // CUfunction_attribute values.
    private const int LocalSizeBytes = 3;
    private const int NumRegs = 4;
    private const int MaxDynamicSharedSizeBytes = 8;

    private readonly CudaModule _module;
    private readonly nint _function;

    internal CudaFunction(CudaModule module, nint function, string name)
    {
        _module = module;
        _function = function;
        Name = name;
    }

    /// <summary>The kernel's name.</summary>
    public string Name { get; }

    /// <summary>Registers each thread of this kernel uses.</summary>
    public int RegistersPerThread => GetAttribute(NumRegs);

    /// <summary>Local memory each thread of this kernel uses, in bytes (above zero: the compiler spilled registers).</summary>
    public int LocalBytesPerThread => GetAttribute(LocalSizeBytes);

    /// <summary>Allows launches with up to <paramref name="bytes"/> of dynamic shared memory (needed above 48 KB).</summary>
    public void SetMaxDynamicSharedMemory(int bytes)
    {
        _module.Context.MakeCurrent();
        Check(CudaDriverNative.cuFuncSetAttribute(_function, MaxDynamicSharedSizeBytes, bytes));
    }

    /// <summary>How many blocks of this kernel fit on one multiprocessor at once.</summary>
    public int MaxActiveBlocksPerMultiprocessor(int blockSize, int dynamicSharedBytes)
    {
        _module.Context.MakeCurrent();
        int blocks = 0;
        Check(CudaDriverNative.cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, _function, blockSize, (nuint)dynamicSharedBytes));
        return blocks;
    }

    /// <summary>Queues a launch of <paramref name="gridSize"/> blocks of <paramref name="blockSize"/> threads.</summary>
    public void Launch<TArgs>(int gridSize, int blockSize, int dynamicSharedBytes, CudaStream stream, in TArgs arguments) where TArgs : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        _module.Context.MakeCurrent();
        TArgs copy = arguments;
        void* parameter = &copy;
        Check(CudaDriverNative.cuLaunchKernel(_function, (uint)gridSize, 1, 1, (uint)blockSize, 1, 1, (uint)dynamicSharedBytes, stream.Handle, &parameter, null));
    }

    /// <summary>
    /// Queues a programmatic dependent launch (compute capability 9.0 and newer, driver 12.0 and newer:
    /// <see cref="CudaDevice.SupportsProgrammaticDependentLaunch"/>): the kernel's blocks may start while the kernel
    /// queued before it on <paramref name="stream"/> is still running, once every block of that one has executed
    /// <c>griddepcontrol.launch_dependents</c> (or finished). The kernel must execute <c>griddepcontrol.wait</c>, which
    /// returns once the previous kernel has completed and its writes are visible, before it touches anything that kernel
    /// writes or reads; what comes before the wait (reading constant inputs) overlaps the previous kernel's tail.
    /// </summary>
    public void LaunchProgrammaticDependent<TArgs>(int gridSize, int blockSize, int dynamicSharedBytes, CudaStream stream, in TArgs arguments) where TArgs : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        _module.Context.MakeCurrent();
        TArgs copy = arguments;
        void* parameter = &copy;
        var attribute = new CuLaunchAttribute { Id = CuLaunchAttribute.ProgrammaticStreamSerialization, Value = 1 };
        var config = new CuLaunchConfig
        {
            GridX = (uint)gridSize,
            GridY = 1,
            GridZ = 1,
            BlockX = (uint)blockSize,
            BlockY = 1,
            BlockZ = 1,
            SharedBytes = (uint)dynamicSharedBytes,
            Stream = stream.Handle,
            Attributes = &attribute,
            AttributeCount = 1,
        };
        Check(CudaDriverNative.cuLaunchKernelEx(&config, _function, &parameter, null));
    }

    /// <summary>
    /// Queues a cooperative launch: the driver guarantees that all blocks are resident at once (so that a grid-wide
    /// barrier cannot deadlock) or fails with CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE.
    /// </summary>
    public void LaunchCooperative<TArgs>(int gridSize, int blockSize, int dynamicSharedBytes, CudaStream stream, in TArgs arguments) where TArgs : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        _module.Context.MakeCurrent();
        TArgs copy = arguments;
        void* parameter = &copy;
        Check(CudaDriverNative.cuLaunchCooperativeKernel(_function, (uint)gridSize, 1, 1, (uint)blockSize, 1, 1, (uint)dynamicSharedBytes, stream.Handle, &parameter));
    }

    private int GetAttribute(int attribute)
    {
        _module.Context.MakeCurrent();
        int value = 0;
        Check(CudaDriverNative.cuFuncGetAttribute(&value, attribute, _function));
        return value;
    }
}
