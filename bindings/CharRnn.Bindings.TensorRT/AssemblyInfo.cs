using System.Runtime.CompilerServices;

// Every native signature is blittable (pointers, nint, int); nothing relies on the runtime's marshaller.
[assembly: DisableRuntimeMarshalling]
