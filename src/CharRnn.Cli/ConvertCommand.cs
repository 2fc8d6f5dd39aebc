using System.CommandLine;
using CharRnn.Inference.Weights;
using Microsoft.Extensions.Logging;

namespace CharRnn.Cli;

/// <summary>
/// <c>charrnn convert</c>: writes a clean .wts holding only the tensors inference needs (no optimizer slots, no
/// global_step), in TensorFlow layout and naming, so that any .wts reader - ours or sampleCharRNN's - can load it.
/// The forget bias is not folded in: it stays a run-time option.
/// </summary>
internal static class ConvertCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CliOptions.Model("Model to convert: a .wts file (V1 or V2) or a TensorFlow checkpoint prefix (dir/model-85340).");
        model.Required = true;
        var vocab = CliOptions.Vocab();
        var output = new Option<string>("--out", "-o") { Description = "The .wts file to write (replaced only once fully written).", HelpName = "FILE", Required = true };
        var format = new Option<string>("--format")
        {
            Description = "v2 (binary, what sampleCharRNN reads) or v1 (float32 bit patterns as hex text).",
            DefaultValueFactory = _ => "v2",
            HelpName = "v1|v2",
        }.AcceptOnlyFromAmong("v1", "v2");
        var dtype = new Option<string>("--dtype")
        {
            Description = "Element type to store: keep (each tensor's own), float32, or float16 (v2 only; rounds to nearest).",
            DefaultValueFactory = _ => "keep",
            HelpName = "float32|float16|keep",
        }.AcceptOnlyFromAmong("keep", "float32", "float16");
        var verbose = CliOptions.Verbose();
        var allowNonFinite = CliOptions.AllowNonFiniteWeights();
        var command = new Command("convert", "Write a clean .wts with only the inference tensors of a .wts file or TensorFlow checkpoint.")
        {
            model, vocab, output, format, dtype, verbose, allowNonFinite,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(format) == "v1" && r.GetValue(dtype) == "float16")
            {
                r.AddError("--format v1 holds float32 bit patterns only: use --format v2 for --dtype float16.");
            }
        });
        command.SetAction(parsed =>
        {
            using var loggerFactory = CliLogging.Create(parsed.GetValue(verbose));
            var weights = ModelSource.LoadWeights(parsed.GetRequiredValue(model), parsed.GetValue(allowNonFinite), loggerFactory);
            // Refuse to write something that is not a complete char-rnn: the checks name the missing or inconsistent tensor.
            ModelSource.BuildForInspection(weights, parsed.GetValue(vocab), loggerFactory);
            string path = parsed.GetRequiredValue(output);
            var fileFormat = parsed.GetRequiredValue(format) == "v1" ? WeightFileFormat.WtsV1 : WeightFileFormat.WtsV2;
            var writeOptions = new WeightWriteOptions
            {
                ForceType = parsed.GetRequiredValue(dtype) switch
                {
                    "float32" => TensorDataType.Float32,
                    "float16" => TensorDataType.Float16,
                    _ => null,
                },
            };
            WeightFileWriter.Write(path, weights, fileFormat, writeOptions);
            long bytes = new FileInfo(path).Length;
            string formatName = parsed.GetRequiredValue(format);
            CliLog.Converted(loggerFactory.CreateLogger(typeof(ConvertCommand)), weights.Count, path, formatName, bytes);
            console.Out.WriteLine($"wrote {weights.Count} tensors to {path} ({formatName}, {parsed.GetRequiredValue(dtype)}, {bytes} bytes); {weights.SkippedRecords.Count} records left out");
            console.Out.Flush();
            return CliApplication.ExitOk;
        });
        return command;
    }
}
