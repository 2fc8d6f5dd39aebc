using CharRnn.Inference.Conversion;
using CharRnn.Inference.TensorRT;
using CharRnn.Inference.TensorRT.Plans;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.TensorRT;

/// <summary>The serialized-plan cache: a key that is stable and changes with everything a plan depends on.</summary>
public class PlanCacheTests
{
    private static NetworkWeights Network(int seed = 4, float forgetBias = 0f) =>
        TfToTrtWeightConverter.Convert(RandomModels.Model(2, 6, 9, 5, seed), new ConversionOptions { ForgetBias = forgetBias });

    private static PlanCacheKey Key(NetworkWeights? network = null) =>
        new(PlanCacheKey.DigestWeights(network ?? Network()), "10.16.0", "9.0", TensorRtPrecision.Float32, Streams: 1, Steps: 1);

    [Test]
    public void Key_is_stable_across_separately_converted_identical_models()
    {
        string first = Key(Network()).FileName;
        string second = Key(Network()).FileName;
        Assert.That(second, Is.EqualTo(first));
        Assert.That(Key().FileName, Does.Match("^[0-9a-f]{64}\\.plan$"));
    }

    [Test]
    public void Key_changes_with_each_input()
    {
        var baseKey = Key();
        var variants = new Dictionary<string, PlanCacheKey>
        {
            ["weights (other seed)"] = Key(Network(seed: 5)),
            ["forget bias"] = Key(Network(forgetBias: 1f)),
            ["TensorRT version"] = baseKey with { TensorRtVersion = "10.16.1" },
            ["compute capability"] = baseKey with { ComputeCapability = "8.9" },
            ["precision"] = baseKey with { Precision = TensorRtPrecision.Tf32 },
            ["streams"] = baseKey with { Streams = 2 },
            ["steps"] = baseKey with { Steps = 4 },
            ["format version"] = baseKey with { FormatVersion = baseKey.FormatVersion + 1 },
        };
        foreach (var (what, key) in variants)
        {
            Assert.That(key.FileName, Is.Not.EqualTo(baseKey.FileName), what);
        }
        Assert.That(variants.Values.Select(k => k.FileName).Distinct().Count(), Is.EqualTo(variants.Count));
    }

    [Test]
    public void Weights_digest_sees_a_single_changed_weight()
    {
        var a = Network();
        var b = Network();
        b.Layers[1].RecurrentWeightsArray[7] += 1e-6f;
        Assert.That(PlanCacheKey.DigestWeights(b), Is.Not.EqualTo(PlanCacheKey.DigestWeights(a)));
        b.Layers[1].RecurrentWeightsArray[7] = a.Layers[1].RecurrentWeightsArray[7];
        Assert.That(PlanCacheKey.DigestWeights(b), Is.EqualTo(PlanCacheKey.DigestWeights(a)));
    }

    [Test]
    public void Cache_writes_reads_and_deletes_whole_plans()
    {
        string dir = Path.Combine(Path.GetTempPath(), "charrnn-plan-tests-" + Guid.NewGuid().ToString("N"));
        try
        {
            var cache = new PlanCache(dir);
            var key = Key();
            Assert.That(cache.TryRead(key), Is.Null, "nothing cached yet");
            byte[] plan = [1, 2, 3, 10, 0, 255];
            cache.Write(key, plan);
            Assert.That(cache.TryRead(key), Is.EqualTo(plan));
            Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(1), "no temporary files left behind");
            Assert.That(cache.TryRead(key with { Streams = 3 }), Is.Null);
            cache.Delete(key);
            Assert.That(cache.TryRead(key), Is.Null);
            File.WriteAllBytes(cache.PathOf(key), []);
            Assert.That(cache.TryRead(key), Is.Null, "an empty file is not a plan");
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
    public void Options_resolve_the_cache_directory()
    {
        Assert.That(new TensorRtBackendOptions { PlanCacheDirectory = "" }.ResolvedPlanCacheDirectory, Is.Null);
        Assert.That(new TensorRtBackendOptions { PlanCacheDirectory = "/x/y" }.ResolvedPlanCacheDirectory, Is.EqualTo("/x/y"));
        Assert.That(new TensorRtBackendOptions().ResolvedPlanCacheDirectory, Does.EndWith(Path.Combine("CharRnn.Inference", "tensorrt-plans")));
        Assert.That(() => new TensorRtBackendOptions { Device = -1 }, Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
