namespace CharRnn.Inference.Tests;

/// <summary>Finds the fixtures in ../shared/data, which the repository never copies.</summary>
internal static class TestData
{
    /// <summary>The path of <paramref name="relative"/> under the nearest <c>shared/data</c> folder above the test directory.</summary>
    public static string SharedDataPath(string relative)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            string data = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(data))
            {
                string path = Path.Combine(data, relative);
                if (!File.Exists(path))
                {
                    Assert.Fail($"Fixture '{relative}' is missing from {data}.");
                }
                return path;
            }
        }
        Assert.Ignore($"No shared/data folder above {TestContext.CurrentContext.TestDirectory}: the shared fixtures are not available here.");
        return "";
    }
}
