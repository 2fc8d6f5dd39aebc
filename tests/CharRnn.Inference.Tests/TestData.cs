namespace CharRnn.Inference.Tests;

/// <summary>Locates the shared fixtures (../shared/data beside the checkout), which are never copied into the repo.</summary>
internal static class TestData
{
    private static readonly Lazy<string?> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    });

    /// <summary>The path of a shared fixture; fails the test with instructions when the folder is absent.</summary>
    public static string SharedData(params string[] parts)
    {
        string root = Root.Value ?? throw new AssertionException(
            "The shared fixtures folder 'shared/data' was not found above " + TestContext.CurrentContext.TestDirectory +
            ". Check out the project beside ../shared (CI provides it).");
        string path = Path.Combine([root, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new AssertionException($"Fixture '{path}' is missing.");
        }
        return path;
    }
}
