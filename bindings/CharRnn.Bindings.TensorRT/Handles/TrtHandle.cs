using System.Runtime.InteropServices;

namespace CharRnn.Bindings.TensorRT.Handles;

/// <summary>
/// A shim object. Holds a reference on its parent (the object it was created from) so the parent outlives it, whatever
/// order the GC or the caller releases them in; the native destroy runs exactly once.
/// </summary>
internal abstract class TrtHandle : SafeHandle
{
    private readonly SafeHandle? _parent;

    protected TrtHandle(nint handle, SafeHandle? parent) : base(0, ownsHandle: true)
    {
        if (parent is not null)
        {
            bool added = false;
            parent.DangerousAddRef(ref added);
            _parent = parent;
        }
        SetHandle(handle);
    }

    public override bool IsInvalid => handle == 0;

    protected sealed override bool ReleaseHandle()
    {
        Destroy(handle);
        _parent?.DangerousRelease();
        return true;
    }

    /// <summary>Calls the shim's destroy function (which never fails).</summary>
    protected abstract void Destroy(nint value);
}
