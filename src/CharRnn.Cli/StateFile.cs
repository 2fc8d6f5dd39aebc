using System.CommandLine;
using CharRnn.Inference;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;

namespace CharRnn.Cli;

/// <summary>
/// <c>generate --state FILE</c>: a conversation kept in a file between runs. The run starts from the snapshot in FILE when
/// it exists (docs/SNAPSHOT-FORMAT.md) and writes the state back when it ends (completed or cancelled: the file then
/// matches stdout) through a temporary file renamed over FILE, so that FILE is always a whole snapshot. A FILE that is not
/// a snapshot, is damaged or belongs to another model stops the run before anything is printed, and is left as it was.
/// </summary>
internal sealed class StateFile
{
    private readonly string _path;

    private StateFile(string path, GeneratorSnapshot? saved)
    {
        _path = path;
        Saved = saved;
    }

    /// <summary>The snapshot read from the file, or null when the file does not exist yet (a new conversation).</summary>
    public GeneratorSnapshot? Saved { get; }

    public static Option<string?> Option() => new("--state")
    {
        Description = "Continue the conversation saved in FILE (the prime, if given, is fed after it) and save it back at the end; " +
            "without FILE, start one. Sampling options and --seed not given are taken from FILE.",
        HelpName = "FILE",
    };

    /// <summary>Reads FILE when it exists; refuses an unusable one with a line naming the file and what is wrong.</summary>
    public static StateFile Open(string path)
    {
        string full = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(full);
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new CliInputException($"--state '{path}': the folder '{directory}' does not exist, so the state could not be saved there.");
        }
        if (!File.Exists(full))
        {
            return new StateFile(full, null);
        }
        try
        {
            // Read through the stream rather than whole: a file that is not a snapshot costs its header, not its size.
            using var stream = File.OpenRead(full);
            var snapshot = GeneratorSnapshot.Read(stream);
            if (stream.Position != stream.Length)
            {
                throw new CliInputException(
                    $"--state '{path}': {stream.Length - stream.Position} bytes follow the snapshot's end, so the file is not one snapshot. Use another file.");
            }
            return new StateFile(full, snapshot);
        }
        catch (SnapshotFormatException e)
        {
            throw new CliInputException($"--state '{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// The options of the continued conversation: the command line's, except the sampling rule and the seed, which come
    /// from the saved snapshot unless given, so that a run with only --state continues the text it was making.
    /// </summary>
    public GeneratorOptions Options(GeneratorOptions commandLine, bool samplingGiven, bool seedGiven) => Saved is null
        ? commandLine
        : commandLine with
        {
            Sampling = samplingGiven ? commandLine.Sampling : Saved.Sampling,
            Seed = seedGiven ? commandLine.Seed : Saved.Seed,
        };

    /// <summary>A generator on <paramref name="engine"/> that continues the saved conversation, or starts one.</summary>
    public Generator CreateGenerator(InferenceEngine engine, GeneratorOptions options)
    {
        var generator = engine.CreateGenerator(options);
        if (Saved is null)
        {
            return generator;
        }
        try
        {
            generator.Restore(Saved);
            return generator;
        }
        catch (SnapshotMismatchException e)
        {
            generator.Dispose();
            throw new CliInputException($"--state '{_path}': {e.Message}", e);
        }
    }

    /// <summary>Writes the generator's state to a temporary file beside FILE, then renames it over FILE.</summary>
    public void Save(Generator generator)
    {
        byte[] bytes = generator.Snapshot().ToBytes();
        string temporary = $"{_path}.{Environment.ProcessId}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, _path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
