using System.Text;
using static CharRnn.Bindings.Cuda.CudaDriver;

namespace CharRnn.Bindings.Cuda;

/// <summary>Loaded device code (a cubin). Thread-safe; functions obtained from it keep it alive.</summary>
public sealed unsafe class CudaModule : IDisposable
{
    private readonly SafeCudaModuleHandle _handle;

    internal CudaModule(CudaContext context, ReadOnlySpan<byte> image)
    {
        Context = context;
        context.MakeCurrent();
        nint module = 0;
        fixed (byte* p = image)
        {
            Check(CudaDriverNative.cuModuleLoadData(&module, p));
        }
        _handle = new SafeCudaModuleHandle(context.Handle, module);
    }

    /// <summary>The context the module lives in.</summary>
    public CudaContext Context { get; }

    /// <summary>Looks up a kernel by its (extern "C") name.</summary>
    public CudaFunction GetFunction(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        Context.MakeCurrent();
        byte[] nameZ = Encoding.UTF8.GetBytes(name + "\0");
        nint function = 0;
        fixed (byte* n = nameZ)
        {
            Check(CudaDriverNative.cuModuleGetFunction(&function, _handle.DangerousGetHandle(), n));
        }
        return new CudaFunction(this, function, name);
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
