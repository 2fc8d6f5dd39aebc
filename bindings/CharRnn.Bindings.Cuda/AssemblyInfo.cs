using System.Runtime.CompilerServices;

// Every native signature here is blittable (nint, pointers, int enums): no marshalling stubs, AOT-friendly.
[assembly: DisableRuntimeMarshalling]
