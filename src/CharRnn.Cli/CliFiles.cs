namespace CharRnn.Cli;

/// <summary>Reads the files options name, with errors that say which option and what is wrong with the path.</summary>
internal static class CliFiles
{
    /// <summary>The file's text (UTF-8 unless it has another byte order mark).</summary>
    /// <exception cref="CliInputException">The path is a directory or does not exist.</exception>
    public static string ReadAllText(string path, string option)
    {
        RequireFile(path, option);
        return File.ReadAllText(path);
    }

    /// <summary>Refuses a directory (which the runtime reports as "access denied") and a missing file.</summary>
    public static void RequireFile(string path, string option)
    {
        if (Directory.Exists(path))
        {
            throw new CliInputException($"{option} '{path}' is a directory; give the path of a file.");
        }
        if (!File.Exists(path))
        {
            throw new CliInputException($"{option} '{path}' does not exist.");
        }
    }
}
