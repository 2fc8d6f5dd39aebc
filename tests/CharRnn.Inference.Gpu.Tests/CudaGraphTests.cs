using System.Runtime.InteropServices;
using CharRnn.Bindings.Cuda;
using CharRnn.Inference.Cuda;

namespace CharRnn.Inference.Gpu.Tests;

/// <summary>
/// <see cref="CudaGraph"/>: work captured from a stream replays exactly (kernel launches with their parameters and a
/// memset), and a capture that fails leaves the stream usable. Runs on the GPU machine; elsewhere every test is ignored
/// with the provider's exact reason.
/// </summary>
[TestFixtureSource(typeof(CudaRequirement), nameof(CudaRequirement.Fixtures))]
[Category("Gpu")]
[NonParallelizable]
public sealed class CudaGraphTests
{
    private const string Source = """
        struct AddParams { int* values; int count; int amount; };
        extern "C" __global__ void add(const AddParams a)
        {
            const int i = blockIdx.x * blockDim.x + threadIdx.x;
            if (i < a.count) a.values[i] += a.amount;
        }
        """;
    private const int Count = 1000;

    private CudaContext? _context;
    private CudaStream? _stream;
    private CudaModule? _module;
    private CudaFunction? _add;

    [OneTimeSetUp]
    public void RequireGpu()
    {
        CudaRequirement.IgnoreUnlessAvailable(new CudaBackendProvider());
        var device = CudaDevice.Get(0);
        _context = CudaContext.RetainPrimary(device);
        _stream = _context.CreateStream();
        _module = _context.LoadModule(Nvrtc.CompileToCubin(Source, "add.cu", [$"--gpu-architecture={device.Architecture}"]));
        _add = _module.GetFunction("add");
    }

    [OneTimeTearDown]
    public void Release()
    {
        _module?.Dispose();
        _stream?.Dispose();
        _context?.Dispose();
    }

    [Test]
    public void A_captured_memset_and_kernels_replay_on_every_launch()
    {
        using var values = _context!.Allocate<int>(Count);
        values.CopyFrom(Enumerable.Range(0, Count).ToArray(), _stream!);
        using var graph = CudaGraph.Capture(_stream!, s =>
        {
            values.ClearAsync(s);
            Add(values, 1, s);
            Add(values, 2, s);
        });
        var host = new int[Count];
        values.CopyTo(host, _stream!);
        Assert.That(host, Is.EqualTo(Enumerable.Range(0, Count).ToArray()), "capturing runs nothing");

        graph.Launch(_stream!);
        graph.Launch(_stream!);
        values.CopyTo(host, _stream!);
        Assert.Multiple(() =>
        {
            Assert.That(graph.NodeCount, Is.EqualTo(3));
            Assert.That(host, Is.All.EqualTo(3), "each replay clears, then adds 1 and 2");
        });
    }

    [Test]
    public void Replays_accumulate_and_keep_the_captured_parameters()
    {
        using var values = _context!.Allocate<int>(Count);
        values.CopyFrom(new int[Count], _stream!);
        int amount = 5;
        using var graph = CudaGraph.Capture(_stream!, s => Add(values, amount, s));
        amount = 100;
        for (int i = 0; i < 4; i++)
        {
            graph.Launch(_stream!);
        }
        var host = new int[Count];
        values.CopyTo(host, _stream!);
        Assert.That(host, Is.All.EqualTo(20));
    }

    [Test]
    public void A_failed_capture_throws_and_leaves_the_stream_usable()
    {
        using var values = _context!.Allocate<int>(Count);
        values.CopyFrom(new int[Count], _stream!);
        // Copying to the host synchronizes the stream: not allowed while it is being captured.
        var error = Assert.Throws<CudaException>(() => CudaGraph.Capture(_stream!, s => values.CopyTo(new int[Count], s)));
        TestContext.Out.WriteLine(error!.Message);
        Assert.Throws<InvalidOperationException>(() => CudaGraph.Capture(_stream!, _ => throw new InvalidOperationException("from the recording")));

        Add(values, 7, _stream!);
        var host = new int[Count];
        values.CopyTo(host, _stream!);
        Assert.That(host, Is.All.EqualTo(7), "the stream works normally after both failed captures");
    }

    private void Add(DeviceBuffer<int> values, int amount, CudaStream stream) =>
        _add!.Launch((Count + 255) / 256, 256, 0, stream, new AddParams { Values = values.Pointer, Count = Count, Amount = amount });

    [StructLayout(LayoutKind.Sequential)]
    private struct AddParams
    {
        public ulong Values;
        public int Count;
        public int Amount;
    }
}
