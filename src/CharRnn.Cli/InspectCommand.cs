using System.CommandLine;
using CharRnn.Inference.Weights;

namespace CharRnn.Cli;

/// <summary><c>charrnn inspect</c>: the tensors a model file holds (name, dtype, shape) and the model they form.</summary>
internal static class InspectCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CliOptions.Model();
        var vocab = CliOptions.Vocab();
        var verbose = CliOptions.Verbose();
        var allowNonFinite = CliOptions.AllowNonFiniteWeights();
        var command = new Command("inspect", "List the inference tensors of a model (name, dtype, shape), the records skipped, and the model's sizes.")
        {
            model, vocab, verbose, allowNonFinite,
        };
        CliOptions.RequireModelForVocab(command, model, vocab);
        command.SetAction(parsed =>
        {
            using var loggerFactory = CliLogging.Create(parsed.GetValue(verbose));
            var weights = ModelSource.LoadWeights(parsed.GetValue(model), parsed.GetValue(allowNonFinite), loggerFactory);
            var output = console.Out;
            output.WriteLine($"source: {weights.Source ?? ModelSource.EmbeddedName} ({weights.Format})");
            output.WriteLine($"tensors: {weights.Count} loaded, {weights.SkippedRecords.Count} records skipped (optimizer slots, scalars and other training state)");
            // Names as read from the file may hold control bytes: shown escaped, never sent raw to the terminal.
            int nameWidth = weights.Count == 0 ? 0 : weights.Max(t => TerminalText.Printable(t.Name).Length);
            foreach (var tensor in weights)
            {
                output.WriteLine($"  {TerminalText.Printable(tensor.Name).PadRight(nameWidth)}  {DataTypeName(tensor.StoredType),-7}  {tensor.ShapeText}");
            }
            // Listed first, checked second: a file that is not a complete char-rnn still shows what it holds.
            output.Flush();
            var (built, vocabulary) = ModelSource.BuildForInspection(weights, parsed.GetValue(vocab), loggerFactory);
            output.WriteLine($"model: {built.Dimensions}");
            output.WriteLine($"parameters: {built.Dimensions.ParameterCount}");
            output.WriteLine($"vocabulary: {vocabulary}");
            output.Flush();
            return CliApplication.ExitOk;
        });
        return command;
    }

    /// <summary>The dtype as the --dtype option of <c>convert</c> spells it.</summary>
    public static string DataTypeName(TensorDataType type) => type switch
    {
        TensorDataType.Float32 => "float32",
        TensorDataType.Float16 => "float16",
        _ => type.ToString().ToLowerInvariant(),
    };
}
