using System.Text.RegularExpressions;
using CharRnn.Inference.Cuda;

namespace CharRnn.Inference.Tests.Cuda;

/// <summary>
/// The kernel source's compile groups (KERNEL_GROUP) against <see cref="KernelGroup"/>: the engine compiles each group as
/// its own NVRTC program and looks each kernel up in its group's module, which only a GPU would otherwise check.
/// </summary>
public sealed partial class KernelGroupTests
{
    private static readonly string Source = CudaInferenceEngine.ReadKernelSource([TensorCoreKernels.SourceFile]);

    [Test]
    public void Every_GROUP_define_is_the_KernelGroup_of_the_same_name_and_number()
    {
        // GROUP_RESIDENT1_GREEDY is Resident1Greedy: names compared without underscores or case.
        var defines = GroupDefine().Matches(Source).Select(m =>
            (m.Groups["name"].Value.Replace("_", "", StringComparison.Ordinal).ToUpperInvariant(), int.Parse(m.Groups["value"].Value)));
        var members = Enum.GetValues<KernelGroup>().Select(g => (g.ToString().ToUpperInvariant(), (int)g));
        Assert.That(defines, Is.EquivalentTo(members));
    }

    [Test]
    public void Every_kernel_is_in_exactly_one_group_and_the_group_the_host_loads_it_from()
    {
        var groupOf = KernelGroups();
        // The host's lookups: CudaInferenceEngine, CudaTokenSampler and TensorCoreKernels.
        var expected = new Dictionary<string, KernelGroup>
        {
            ["lstm_run"] = KernelGroup.Persistent,
            ["lstm_gemm_large"] = KernelGroup.Tiled,
            ["lstm_gemm_small"] = KernelGroup.Tiled,
            ["fc_gemm"] = KernelGroup.Tiled,
            ["sample_batch"] = KernelGroup.Sampler,
            ["lstm_resident1"] = KernelGroup.Resident1,
            ["lstm_resident1g"] = KernelGroup.Resident1Greedy,
            ["lstm_resident1s"] = KernelGroup.Resident1Sampled,
            ["lstm_resident4"] = KernelGroup.Resident4,
            ["lstm_tc_large"] = KernelGroup.TensorCoreLayers,
            ["lstm_tc_medium"] = KernelGroup.TensorCoreLayers,
            ["lstm_tc_narrow"] = KernelGroup.TensorCoreLayers,
            ["lstm_tc_small"] = KernelGroup.TensorCoreLayers,
            ["lstm_tc_wgmma"] = KernelGroup.TensorCoreWarpgroup,
            ["lstm_tc_wgmma_deep"] = KernelGroup.TensorCoreWarpgroup,
            ["lstm_tc_wgmma64"] = KernelGroup.TensorCoreWarpgroup,
            ["lstm_tc_wgmma64_deep"] = KernelGroup.TensorCoreWarpgroup,
            ["fc_tc"] = KernelGroup.TensorCoreProjections,
            ["fc_tc_greedy"] = KernelGroup.TensorCoreProjections,
            ["fc_tc_greedy_deep"] = KernelGroup.TensorCoreProjections,
            ["fc_tc_greedy_deep32"] = KernelGroup.TensorCoreProjections,
            ["fc_tc_greedy32"] = KernelGroup.TensorCoreProjections,
            ["sample_batch_tc"] = KernelGroup.TensorCoreProjections,
            ["tc_round_h"] = KernelGroup.TensorCoreProjections,
            ["tc_narrow_h"] = KernelGroup.TensorCoreProjections,
            ["tc_widen_h"] = KernelGroup.TensorCoreProjections,
        };
        Assert.That(groupOf, Is.EquivalentTo(expected));
    }

    // Each kernel's group, from the EMITS(GROUP_...) conditions around its definition; fails on a kernel outside every
    // group (it would be compiled into every program), inside two, or a group condition with an #else branch.
    private static Dictionary<string, KernelGroup> KernelGroups()
    {
        var groups = new Dictionary<string, KernelGroup>();
        var open = new Stack<string?>();
        foreach (string line in Source.Split('\n').Select(l => l.Trim()))
        {
            if (line.StartsWith("#if", StringComparison.Ordinal))
            {
                var emits = Emits().Match(line);
                open.Push(emits.Success ? emits.Groups["name"].Value.Replace("_", "", StringComparison.Ordinal) : null);
            }
            else if (line.StartsWith("#el", StringComparison.Ordinal))
            {
                Assert.That(open.Peek(), Is.Null, $"a group condition has an else branch: {line}");
            }
            else if (line.StartsWith("#endif", StringComparison.Ordinal))
            {
                open.Pop();
            }
            else if (Kernel().Match(line) is { Success: true } kernel)
            {
                string name = kernel.Groups["name"].Value;
                string[] enclosing = [.. open.OfType<string>()];
                Assert.That(enclosing, Has.Length.EqualTo(1), $"{name} must be inside exactly one EMITS(GROUP_...) condition");
                // A kernel compiled in two variants (#if TC_OPERAND ... #else) is defined twice in the same group.
                groups[name] = Enum.Parse<KernelGroup>(enclosing[0], ignoreCase: true);
            }
        }
        Assert.That(open, Is.Empty, "unbalanced #if / #endif");
        return groups;
    }

    [GeneratedRegex(@"^#define GROUP_(?<name>\w+) (?<value>\d+)", RegexOptions.Multiline)]
    private static partial Regex GroupDefine();

    [GeneratedRegex(@"EMITS\(GROUP_(?<name>\w+)\)")]
    private static partial Regex Emits();

    [GeneratedRegex(@"^extern ""C"" __global__ void (?:__launch_bounds__\([^)]*\) )?(?<name>\w+)\(")]
    private static partial Regex Kernel();
}
