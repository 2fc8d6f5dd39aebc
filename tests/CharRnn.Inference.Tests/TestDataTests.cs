namespace CharRnn.Inference.Tests;

/// <summary>Where the shared fixtures are looked for, and what a test says when they are not there.</summary>
public class TestDataTests
{
    [Test]
    public void Without_shared_data_above_the_tests_the_message_says_what_is_missing_and_where_it_belongs()
    {
        string lonely = Directory.CreateTempSubdirectory("charrnn-no-shared-").FullName;
        try
        {
            Assert.That(TestData.FindRoot(lonely), Is.Null);
            Assert.That(TestData.MissingFolderMessage(lonely), Does.Contain("../shared").And.Contain("README.md").And.Contain(lonely));
        }
        finally
        {
            Directory.Delete(lonely);
        }
    }

    [Test]
    public void The_shared_data_folder_is_found_above_the_test_directory() =>
        Assert.That(TestData.FindRoot(TestContext.CurrentContext.TestDirectory), Does.EndWith(Path.Combine("shared", "data")));
}
