using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using CharRnn.Bindings.Cuda;
using CharRnn.Inference.Cuda;

namespace CharRnn.Inference.Tests.Cuda;

/// <summary>The parts of the CUDA backend that need no GPU: error names and messages, the kernel ABI, the cubin cache.</summary>
public sealed class CudaBindingsTests
{
    [Test]
    public void Error_names_are_cuda_h_spellings()
    {
        Assert.Multiple(() =>
        {
            Assert.That(CudaDriver.ErrorName(CuResult.CUDA_ERROR_OUT_OF_MEMORY), Is.EqualTo("CUDA_ERROR_OUT_OF_MEMORY"));
            Assert.That(CudaDriver.ErrorName(CuResult.CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE), Is.EqualTo("CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE"));
            Assert.That(CudaDriver.ErrorName(CuResult.CUDA_ERROR_NO_DEVICE), Is.EqualTo("CUDA_ERROR_NO_DEVICE"));
            Assert.That(CudaDriver.ErrorName((CuResult)12345), Is.EqualTo("CUresult 12345"));
        });
    }

    [Test]
    public void Check_passes_success_and_throws_with_status_and_call_text()
    {
        CudaDriver.Check(CuResult.CUDA_SUCCESS);
        var status = CuResult.CUDA_ERROR_OUT_OF_MEMORY;
        var e = Assert.Throws<CudaException>(() => CudaDriver.Check(status));
        Assert.Multiple(() =>
        {
            Assert.That(e!.Result, Is.EqualTo(CuResult.CUDA_ERROR_OUT_OF_MEMORY));
            Assert.That(e.Call, Is.EqualTo("status"));
            Assert.That(e.StatusName, Is.EqualTo("CUDA_ERROR_OUT_OF_MEMORY"));
            Assert.That(e.Message, Does.StartWith("CUDA_ERROR_OUT_OF_MEMORY (2) in status"));
            Assert.That(e, Is.Not.InstanceOf<CharRnnException>(), "the bindings know nothing of the core");
        });
    }

    [Test]
    public void The_backend_wraps_native_failures_in_the_library_hierarchy()
    {
        var driver = Assert.Throws<CudaException>(() => CudaDriver.Check(CuResult.CUDA_ERROR_OUT_OF_MEMORY))!;
        var nvrtc = new NvrtcException(6, "NVRTC_ERROR_COMPILATION", "nvrtcCompileProgram(k.cu)", "");
        Assert.Multiple(() =>
        {
            Assert.That(CudaBackendException.IsNative(driver) && CudaBackendException.IsNative(nvrtc));
            Assert.That(CudaBackendException.IsNative(new InvalidOperationException()), Is.False);
            var wrapped = CudaBackendException.Wrap(driver);
            Assert.That(wrapped, Is.InstanceOf<CharRnnException>());
            Assert.That(wrapped.InnerException, Is.SameAs(driver));
            Assert.That(wrapped.Message, Is.EqualTo(driver.Message));
            Assert.That(wrapped.StatusName, Is.EqualTo("CUDA_ERROR_OUT_OF_MEMORY"));
            Assert.That(CudaBackendException.Wrap(nvrtc).StatusName, Is.EqualTo("NVRTC_ERROR_COMPILATION"));
        });
    }

    [Test]
    public void Nvrtc_exception_carries_the_compile_log()
    {
        var e = new NvrtcException(6, "NVRTC_ERROR_COMPILATION", "nvrtcCompileProgram(k.cu)", "k.cu(3): error: identifier \"x\" is undefined");
        Assert.Multiple(() =>
        {
            Assert.That(e.CompileLog, Does.Contain("identifier \"x\""));
            Assert.That(e.Message, Does.StartWith("NVRTC_ERROR_COMPILATION (6) in nvrtcCompileProgram(k.cu)"));
            Assert.That(e.Message, Does.Contain("is undefined"));
        });
    }

    [Test]
    public void Kernel_parameter_structs_match_the_cuda_source()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Unsafe.SizeOf<RunParams>(), Is.EqualTo(200));
            Assert.That(Unsafe.SizeOf<LayerWeightsDescriptor>(), Is.EqualTo(24));
            Assert.That(Unsafe.SizeOf<GemmParams>(), Is.EqualTo(112));
            Assert.That(Unsafe.SizeOf<NarrowParams>(), Is.EqualTo(24));
        });
        string source = CudaInferenceEngine.ReadKernelSource([TensorCoreKernels.SourceFile]);
        foreach (var (name, type) in new[] { ("RunParams", typeof(RunParams)), ("GemmParams", typeof(GemmParams)), ("NarrowParams", typeof(NarrowParams)) })
        {
            var body = Regex.Match(source, @"struct " + name + @"\s*\{(?<body>[^}]*)\}").Groups["body"].Value;
            var fields = Regex.Matches(body, @"^\s*[\w\s\*]+?\b(\w+);", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToArray();
            Assert.That(fields, Has.Length.EqualTo(type.GetFields().Length), $"{name}: {string.Join(", ", fields)}");
        }
    }

    [Test]
    public void Cubin_cache_key_changes_with_every_input()
    {
        string baseKey = CubinCache.ComputeKey("src", "sm_90", 13000, 13000, ["-a"]);
        Assert.Multiple(() =>
        {
            Assert.That(CubinCache.ComputeKey("src", "sm_90", 13000, 13000, ["-a"]), Is.EqualTo(baseKey));
            Assert.That(CubinCache.ComputeKey("src2", "sm_90", 13000, 13000, ["-a"]), Is.Not.EqualTo(baseKey));
            Assert.That(CubinCache.ComputeKey("src", "sm_80", 13000, 13000, ["-a"]), Is.Not.EqualTo(baseKey));
            Assert.That(CubinCache.ComputeKey("src", "sm_90", 12080, 13000, ["-a"]), Is.Not.EqualTo(baseKey));
            Assert.That(CubinCache.ComputeKey("src", "sm_90", 13000, 12080, ["-a"]), Is.Not.EqualTo(baseKey));
            Assert.That(CubinCache.ComputeKey("src", "sm_90", 13000, 13000, ["-b"]), Is.Not.EqualTo(baseKey));
        });
    }

    [Test]
    public void Cubin_cache_round_trips_and_rejects_corrupt_entries()
    {
        string dir = Path.Combine(Path.GetTempPath(), "charrnn-cubin-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(dir, "k.cubin");
            Assert.That(CubinCache.TryRead(path, out _, out string missing), Is.False);
            Assert.That(missing, Is.EqualTo("missing"));

            byte[] payload = [.. Enumerable.Range(0, 1000).Select(i => (byte)(i * 7))];
            Assert.That(CubinCache.TryWrite(path, payload, out string writeFailure), writeFailure);
            Assert.That(CubinCache.TryRead(path, out byte[] read, out _), Is.True);
            Assert.That(read, Is.EqualTo(payload));

            byte[] file = File.ReadAllBytes(path);
            file[^10] ^= 0xFF;
            File.WriteAllBytes(path, file);
            Assert.That(CubinCache.TryRead(path, out _, out string corrupt), Is.False);
            Assert.That(corrupt, Does.Contain("checksum"));

            File.WriteAllBytes(path, file[..20]);
            Assert.That(CubinCache.TryRead(path, out _, out string truncated), Is.False);
            Assert.That(truncated, Does.Contain("truncated"));

            Assert.That(CubinCache.TryWrite(path, payload, out _), Is.True, "a bad entry is overwritten by the rebuild");
            Assert.That(CubinCache.TryRead(path, out read, out _), Is.True);
            Assert.That(read, Is.EqualTo(payload));
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Test]
    public void Cubin_cache_directory_follows_xdg_cache_home()
    {
        string? saved = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        try
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", "/tmp/xdg-test");
            Assert.That(CubinCache.DefaultDirectory(), Is.EqualTo(Path.Combine("/tmp/xdg-test", "charrnn", "cubin")));
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", saved);
        }
    }
}
