namespace CharRnn.Inference.Tests;

/// <summary>Locates the shared fixtures (../shared/data from a checkout), which are never copied into the repository.</summary>
public static class TestData
{
    /// <summary>
    /// The path of <paramref name="parts"/> under the first <c>shared/data</c> folder found walking up from the test
    /// directory; fails the test with the reason when there is none or the file is absent.
    /// </summary>
    public static string SharedDataPath(params string[] parts)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            string data = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(data))
            {
                string path = Path.Combine([data, .. parts]);
                if (!File.Exists(path) && !Directory.Exists(path))
                {
                    Assert.Fail($"Fixture '{path}' is missing from the shared data folder '{data}'.");
                }
                return path;
            }
        }
        Assert.Fail($"No 'shared/data' folder above '{TestContext.CurrentContext.TestDirectory}': the fixtures live in ../shared/data beside the checkout.");
        return null!;
    }
}
