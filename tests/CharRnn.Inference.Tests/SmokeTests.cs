using CharRnn.Inference.Model;

namespace CharRnn.Inference.Tests;

public class SmokeTests
{
    [Test]
    public void SampleVocabulary_has_65_characters() => Assert.That(Vocabulary.SampleCharRnn.Count, Is.EqualTo(65));
}
