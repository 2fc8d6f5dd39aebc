using System.CommandLine;
using System.Globalization;
using System.CommandLine.Parsing;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Weights;

namespace CharRnn.Cli;

/// <summary>The options several commands share, spelled once so that every command reads them the same way.</summary>
internal static class CliOptions
{
    public static Option<string?> Model(string description =
        "Model: a .wts file (V1 or V2, detected) or a TensorFlow checkpoint prefix (dir/model-85340). Default: the embedded tiny-Shakespeare model.") =>
        new("--model", "-m") { Description = description, HelpName = "PATH" };

    public static Option<string?> Vocab() =>
        new("--vocab") { Description = "The model's vocab.json (tensorflow-char-rnn). Default: sampleCharRNN's 65-character map for 65-class models.", HelpName = "PATH" };

    public static Option<bool> Verbose() =>
        new("--verbose", "-v") { Description = "Log progress (Information and above) and a timing summary to stderr." };

    public static Option<bool> AllowNonFiniteWeights() =>
        new("--allow-non-finite-weights") { Description = "Load a model whose weights hold NaN or infinity (with a warning) instead of refusing it; it generates garbage." };

    public static NonFiniteWeightPolicy NonFinitePolicy(bool allow) => allow ? NonFiniteWeightPolicy.Warn : NonFiniteWeightPolicy.Throw;

    public static Option<bool> Progress() =>
        new("--progress") { Description = "Show progress of long work (engine build, scoring) on stderr even when it is not a terminal." };

    public static Option<string> Backend()
    {
        var option = new Option<string>("--backend")
        {
            Description = "Where to compute: auto (CUDA if available, else the CPU), cpu, cuda or tensorrt (only when named).",
            DefaultValueFactory = _ => "auto",
            HelpName = "auto|cpu|cuda|tensorrt",
        };
        return option.AcceptOnlyFromAmong("auto", "cpu", "cuda", "tensorrt");
    }

    public static Option<float> ForgetBias()
    {
        var option = new Option<float>("--forget-bias")
        {
            Description = "Constant added to the LSTM forget gate (never stored in checkpoints): 0.0 for tensorflow-char-rnn models, 1.0 for TensorFlow's default BasicLSTMCell.",
            DefaultValueFactory = _ => 0f,
            HelpName = "F",
        };
        Check(option, f => float.IsFinite(f) ? null : "--forget-bias must be a finite number.");
        return option;
    }

    public static Option<string> UnknownChars()
    {
        var option = new Option<string>("--unknown-chars")
        {
            Description = "Characters the vocabulary lacks: error (list them and stop), skip (drop them) or replace (with a space).",
            DefaultValueFactory = _ => "error",
            HelpName = "error|skip|replace",
        };
        return option.AcceptOnlyFromAmong("error", "skip", "replace");
    }

    /// <summary>
    /// Adds a check of the option's typed value; <paramref name="check"/> returns the error or null. Defaults are not
    /// checked, and a value that does not parse is left to the parser's own error.
    /// </summary>
    public static void Check<T>(Option<T> option, Func<T, string?> check) where T : IParsable<T> =>
        option.Validators.Add(r =>
        {
            if (!r.Implicit && r.Tokens.Count > 0 && T.TryParse(r.Tokens[^1].Value, CultureInfo.InvariantCulture, out var value)
                && check(value) is { } error)
            {
                r.AddError(error);
            }
        });

    /// <summary>Refuses <c>--vocab</c> without <c>--model</c>: the embedded model carries its own vocabulary.</summary>
    public static void RequireModelForVocab(Command command, Option<string?> model, Option<string?> vocab) =>
        command.Validators.Add(r =>
        {
            if (IsGiven(r, vocab) && !IsGiven(r, model))
            {
                r.AddError("--vocab needs --model: the embedded default model has its own vocabulary.");
            }
        });

    /// <summary>Whether the option was typed on the command line (not just defaulted).</summary>
    public static bool IsGiven(CommandResult result, Option option) => result.GetResult(option) is { Implicit: false };

    public static Backend ParseBackend(string value) => value switch
    {
        "cpu" => Inference.Engine.Backend.Cpu,
        "cuda" => Inference.Engine.Backend.Cuda,
        "tensorrt" => Inference.Engine.Backend.TensorRT,
        _ => Inference.Engine.Backend.Auto,
    };

    public static UnknownCharacterPolicy ParseUnknownChars(string value) => value switch
    {
        "skip" => UnknownCharacterPolicy.Skip,
        "replace" => UnknownCharacterPolicy.Replace,
        _ => UnknownCharacterPolicy.Throw,
    };
}
