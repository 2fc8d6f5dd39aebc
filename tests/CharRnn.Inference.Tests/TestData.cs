namespace CharRnn.Inference.Tests;

/// <summary>Locates the shared fixtures (../shared/data beside the checkout), which are never copied into the repo.</summary>
internal static class TestData
{
    private static readonly Lazy<string?> Root = new(() => FindRoot(TestContext.CurrentContext.TestDirectory));

    /// <summary>The nearest <c>shared/data</c> folder in <paramref name="start"/> or a folder above it, or null.</summary>
    internal static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Why a test that reads a shared fixture cannot run, and how to give it the fixtures.</summary>
    internal static string MissingFolderMessage(string start) =>
        $"This test reads the shared fixtures (tiny Shakespeare and the tensorflow-char-rnn checkpoint, see README.md), which live in " +
        $"'shared/data' beside the checkout (../shared) and are never copied into the repository; no such folder was found above {start}. " +
        "CI provides it; elsewhere put the project's shared folder beside the checkout.";

    /// <summary>The path of a shared fixture; fails the test with instructions when the folder is absent.</summary>
    public static string SharedData(params string[] parts)
    {
        string root = Root.Value ?? throw new AssertionException(MissingFolderMessage(TestContext.CurrentContext.TestDirectory));
        string path = Path.Combine([root, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new AssertionException($"Fixture '{path}' is missing from the shared fixtures folder {root} (see README.md).");
        }
        return path;
    }
}
