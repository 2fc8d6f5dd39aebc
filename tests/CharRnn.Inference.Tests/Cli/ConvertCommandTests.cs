using CharRnn.Inference.Model;
using CharRnn.Inference.Weights;

namespace CharRnn.Inference.Tests.Cli;

/// <summary><c>charrnn convert</c>: a clean .wts with only the inference tensors, values kept (or rounded to float16 when asked).</summary>
public class ConvertCommandTests
{
    private string _temp = null!;

    [SetUp]
    public void CreateTemp() => _temp = Directory.CreateTempSubdirectory("charrnn-convert-").FullName;

    [TearDown]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    private static WeightSet Original() =>
        WeightLoader.Load(CliRunner.FixtureWts, new WeightLoadOptions { Include = TfVariableNames.IsInferenceTensor });

    [TestCase("v2")]
    [TestCase("v1")]
    public async Task Keeps_exactly_the_inference_tensors_bit_for_bit(string format)
    {
        string output = Path.Combine(_temp, "clean.wts");
        var result = await CliRunner.RunAsync("convert", "--model", CliRunner.FixtureWts, "--out", output, "--format", format);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stdout, Does.Contain("wrote 6 tensors"));

        var original = Original();
        var converted = WeightLoader.Load(output);
        Assert.That(converted.Format, Is.EqualTo(format == "v1" ? WeightFileFormat.WtsV1 : WeightFileFormat.WtsV2));
        Assert.That(converted.Select(t => t.Name), Is.EquivalentTo(original.Select(t => t.Name)));
        Assert.That(converted.SkippedRecords, Is.Empty);
        foreach (var tensor in original)
        {
            Assert.That(converted[tensor.Name].Values.ToArray(), Is.EqualTo(tensor.Values.ToArray()), tensor.Name);
        }
    }

    [Test]
    public async Task Checkpoint_to_float16_rounds_each_value_to_the_nearest_half()
    {
        string prefix = Path.Combine(Path.GetDirectoryName(CliRunner.FixtureWts)!, "model-85340");
        string output = Path.Combine(_temp, "half.wts");
        var result = await CliRunner.RunAsync("convert", "--model", prefix, "--out", output, "--dtype", "float16");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());

        var converted = WeightLoader.Load(output);
        foreach (var tensor in Original())
        {
            var half = converted[tensor.Name];
            Assert.That(half.StoredType, Is.EqualTo(TensorDataType.Float16), tensor.Name);
            Assert.That(half.Shape, Is.EqualTo(tensor.Shape), tensor.Name);
            float[] expected = [.. tensor.Values.ToArray().Select(v => (float)(Half)v)];
            Assert.That(half.Values.ToArray(), Is.EqualTo(expected), tensor.Name);
        }
    }

    [Test]
    public async Task Converted_file_generates_the_same_text()
    {
        string output = Path.Combine(_temp, "clean.wts");
        await CliRunner.RunAsync("convert", "--model", CliRunner.FixtureWts, "--out", output);
        string[] generate = ["generate", "--vocab", CliRunner.FixtureVocab, "--prime", "ROMEO", "--length", "100", "--seed", "4"];
        var original = await CliRunner.RunAsync([.. generate, "--model", CliRunner.FixtureWts]);
        var converted = await CliRunner.RunAsync([.. generate, "--model", output]);
        Assert.That(converted.ExitCode, Is.EqualTo(0), converted.ToString());
        Assert.That(converted.Stdout, Is.EqualTo(original.Stdout));
    }

    [Test]
    public async Task A_v1_file_without_shapes_generates_the_v2_models_greedy_text()
    {
        string output = Path.Combine(_temp, "m.wts");
        var convert = await CliRunner.RunAsync("convert", "--model", CliRunner.FixtureWts, "--out", output, "--format", "v1");
        Assert.That(convert.ExitCode, Is.EqualTo(0), convert.ToString());
        Assert.That(WeightLoader.Load(output).All(t => t.Shape.Count == 1), "V1 stores counts only");

        string[] generate = ["generate", "--vocab", CliRunner.FixtureVocab, "--prime", "ROMEO:", "--length", "300", "--greedy", "--backend", "cpu"];
        var fromV2 = await CliRunner.RunAsync([.. generate, "--model", CliRunner.FixtureWts]);
        var fromV1 = await CliRunner.RunAsync([.. generate, "--model", output]);
        Assert.That(fromV1.ExitCode, Is.EqualTo(0), fromV1.ToString());
        Assert.That(fromV2.Stdout, Has.Length.EqualTo(306));
        Assert.That(fromV1.Stdout, Is.EqualTo(fromV2.Stdout));

        var inspect = await CliRunner.RunAsync("inspect", "--model", output, "--vocab", CliRunner.FixtureVocab);
        Assert.That(inspect.ExitCode, Is.EqualTo(0), inspect.ToString());
    }
}
