using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using CharRnn.Bindings.TensorRT;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Inference.Tests.TensorRT;

/// <summary>
/// The managed declarations against the shim's C header (read from the source tree): struct layouts, the ABI version,
/// status values and every export's parameter count. Runs without TensorRT or the compiled shim.
/// </summary>
public partial class ShimAbiTests
{
    private static string NativeFile(string name)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "bindings", "CharRnn.Bindings.TensorRT", "native", name);
            if (File.Exists(path))
            {
                return File.ReadAllText(path);
            }
        }
        Assert.Ignore($"native/{name} is not in a folder above {TestContext.CurrentContext.TestDirectory} (tests run outside the source tree).");
        return "";
    }

    [Test]
    public unsafe void Dims_struct_is_72_bytes_with_extents_at_8_like_Dims64()
    {
        var dims = default(TrtDimsNative);
        long extentsOffset = (byte*)&dims.D - (byte*)&dims;
        long reservedOffset = (byte*)&dims.Reserved - (byte*)&dims;
        Assert.Multiple(() =>
        {
            Assert.That(Unsafe.SizeOf<TrtDimsNative>(), Is.EqualTo(72));
            Assert.That(Marshal.SizeOf<TrtDimsNative>(), Is.EqualTo(72));
            Assert.That(extentsOffset, Is.EqualTo(8));
            Assert.That(reservedOffset, Is.EqualTo(4));
            Assert.That(TrtDimsNative.MaxDims, Is.EqualTo(8));
        });
        // The C side asserts the same numbers at compile time.
        string cpp = NativeFile("charrnn_trt.cpp");
        Assert.That(cpp, Does.Contain("sizeof(charrnn_trt_dims) == 72"));
        Assert.That(cpp, Does.Contain("offsetof(charrnn_trt_dims, d) == 8"));
    }

    [Test]
    public unsafe void Weights_struct_is_24_bytes_with_values_at_8_and_count_at_16()
    {
        var weights = default(TrtWeightsNative);
        long countOffset = (byte*)&weights.Count - (byte*)&weights;
        Assert.Multiple(() =>
        {
            Assert.That(Unsafe.SizeOf<TrtWeightsNative>(), Is.EqualTo(24));
            Assert.That(Marshal.SizeOf<TrtWeightsNative>(), Is.EqualTo(24));
            Assert.That(Marshal.OffsetOf<TrtWeightsNative>(nameof(TrtWeightsNative.Values)), Is.EqualTo((nint)8));
            Assert.That(countOffset, Is.EqualTo(16));
        });
        Assert.That(NativeFile("charrnn_trt.cpp"), Does.Contain("offsetof(charrnn_trt_weights, values) == 8"));
    }

    [Test]
    public void Dims_round_trip_and_refuse_more_than_eight_extents()
    {
        var dims = TrtDimsNative.From([3, -1, 7]);
        Assert.That(dims.NbDims, Is.EqualTo(3));
        Assert.That(((ReadOnlySpan<long>)dims.D)[..dims.NbDims].ToArray(), Is.EqualTo(new long[] { 3, -1, 7 }));
        Assert.That(() => TrtDimsNative.From(new long[9]), Throws.ArgumentException.With.Message.Contains("at most 8"));
    }

    [Test]
    public void Abi_version_and_statuses_match_the_header()
    {
        string header = NativeFile("charrnn_trt.h");
        Assert.That(AbiVersionRegex().Match(header).Groups[1].Value, Is.EqualTo(NativeMethods.AbiVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var statuses = StatusRegex().Matches(header).ToDictionary(m => m.Groups[1].Value.Replace("_", "", StringComparison.Ordinal), m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(statuses, Has.Count.EqualTo(5));
        foreach (var (name, value) in statuses)
        {
            var managed = Enum.GetValues<TensorRtStatus>().Single(s => s.ToString().Equals(name, StringComparison.OrdinalIgnoreCase));
            Assert.That((int)managed, Is.EqualTo(value), name);
        }
    }

    [Test]
    public void Every_export_in_the_header_has_an_import_with_matching_return_and_parameter_types()
    {
        var exports = ExportRegex().Matches(NativeFile("charrnn_trt.h")).ToDictionary(
            m => m.Groups[2].Value,
            m => (Return: m.Groups[1].Value.Trim(), Parameters: m.Groups[3].Value.Trim() is "void" or "" ? [] : m.Groups[3].Value.Split(',').Select(p => p.Trim()).ToArray()));
        var imports = typeof(NativeMethods).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.Name.StartsWith("charrnn_trt_", StringComparison.Ordinal))
            .ToDictionary(m => m.Name);
        Assert.That(exports, Has.Count.EqualTo(39), "the regular expression finds every export of the header");
        Assert.That(imports.Keys, Is.EquivalentTo(exports.Keys));
        foreach (var (name, (ret, parameters)) in exports)
        {
            var method = imports[name];
            Assert.That(method.ReturnType, Is.EqualTo(ManagedType(ret)), $"{name} return");
            var managed = method.GetParameters();
            Assert.That(managed, Has.Length.EqualTo(parameters.Length), name);
            for (int i = 0; i < parameters.Length; i++)
            {
                var type = managed[i].ParameterType;
                var expected = ManagedType(parameters[i]);
                if (expected == typeof(nint))
                {
                    Assert.That(type.IsPointer || type.IsFunctionPointer || type.IsUnmanagedFunctionPointer || type == typeof(nint), Is.True, $"{name} parameter {i} ({parameters[i]}) is pointer-sized, not {type}");
                }
                else
                {
                    Assert.That(type, Is.EqualTo(expected), $"{name} parameter {i} ({parameters[i]})");
                }
            }
        }
    }

    // The C type of a declaration ("const charrnn_trt_dims* dims", "int32_t op") as the managed type it must map to.
    private static Type ManagedType(string declaration)
    {
        if (declaration.Contains('*', StringComparison.Ordinal) || declaration.StartsWith("charrnn_trt_log_callback", StringComparison.Ordinal))
        {
            return typeof(nint);
        }
        string type = declaration.Split(' ')[0];
        return type switch
        {
            "void" => typeof(void),
            "charrnn_trt_status" or "int32_t" => typeof(int),
            "uint32_t" => typeof(uint),
            "uint64_t" => typeof(ulong),
            "size_t" => typeof(nuint),
            _ => throw new AssertionException($"No managed mapping for the C type in '{declaration}'."),
        };
    }

    [Test]
    public void Enum_values_match_TensorRT()
    {
        // nvinfer1 values (the shim static_asserts them against the headers it is compiled with).
        Assert.Multiple(() =>
        {
            Assert.That((int)TensorRtDataType.Float, Is.Zero);
            Assert.That((int)TensorRtDataType.Int32, Is.EqualTo(3));
            Assert.That((int)TensorRtDataType.Int64, Is.EqualTo(8));
            Assert.That((int)MatrixOperation.Transpose, Is.EqualTo(1));
            Assert.That((int)MatrixOperation.Vector, Is.EqualTo(2));
            Assert.That((int)ElementWiseOperation.Product, Is.EqualTo(1));
            Assert.That((int)ActivationType.Sigmoid, Is.EqualTo(1));
            Assert.That((int)ActivationType.Tanh, Is.EqualTo(2));
            Assert.That((int)LoopOutputKind.Concatenate, Is.EqualTo(1));
            Assert.That((int)TensorRtSeverity.Verbose, Is.EqualTo(4));
        });
    }

    [TestCase(101600, 10, 16, 0)]
    [TestCase(100001, 10, 0, 1)]
    [TestCase(110100, 11, 1, 0)]
    [TestCase(8601, 8, 6, 1)]
    public void Library_versions_decode_as_getInferLibVersion_encodes_them(int encoded, int major, int minor, int patch)
    {
        Assert.That(TensorRtVersion.FromEncoded(encoded), Is.EqualTo(new TensorRtVersion(major, minor, patch)));
    }

    [Test]
    public void Versions_order_by_major_minor_patch()
    {
        Assert.That(new TensorRtVersion(10, 14, 0) > new TensorRtVersion(10, 9, 9), Is.True);
        Assert.That(new TensorRtVersion(10, 0, 1) < new TensorRtVersion(11, 0, 0), Is.True);
    }

    [GeneratedRegex(@"#define CHARRNN_TRT_ABI_VERSION (\d+)")]
    private static partial Regex AbiVersionRegex();

    [GeneratedRegex(@"CHARRNN_TRT_([A-Z_]+) = (\d+)")]
    private static partial Regex StatusRegex();

    [GeneratedRegex(@"CHARRNN_TRT_EXPORT ([^;]*?) CHARRNN_TRT_CALL (charrnn_trt_\w+)\(([^)]*)\);")]
    private static partial Regex ExportRegex();
}
