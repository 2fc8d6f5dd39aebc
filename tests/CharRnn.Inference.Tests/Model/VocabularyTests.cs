using System.Text;
using CharRnn.Inference.Model;

namespace CharRnn.Inference.Tests.Model;

public class VocabularyTests
{
    [Test]
    public void Sample_map_has_the_documented_order()
    {
        // FACTS.md section 2: ids in order.
        const string Expected = "\n! $'&-,.3;:?ACBEDGFIHKJMLONQPSRUTWVYXZacbedgfihkjmlonqpsrutwvyxz";
        Assert.That(string.Concat(Vocabulary.SampleCharRnn.Characters), Is.EqualTo(Expected));
    }

    [Test]
    public void The_real_vocab_json_equals_the_sample_map()
    {
        var vocab = Vocabulary.FromJsonFile(TestData.SharedData("tf-char-rnn-shakespeare-128", "vocab.json"));
        Assert.That(vocab.Characters, Is.EqualTo(Vocabulary.SampleCharRnn.Characters));
    }

    [TestCase("[1,2]", "not a JSON object")]
    [TestCase("{\"a\": 0, \"b\": 0}", "id 0 is given to both")]
    [TestCase("{\"a\": 0, \"c\": 2}", "id 1 is missing")]
    [TestCase("{\"a\": -1, \"b\": 0}", "\"a\" has id -1")]
    [TestCase("{\"ab\": 0}", "not a single character")]
    [TestCase("{\"a\": \"x\"}", "not an integer")]
    [TestCase("{\"a\": 0", "not valid JSON")]
    public void Malformed_vocab_json_gives_a_clear_error(string json, string expected)
    {
        Assert.That(() => Vocabulary.FromJson(Encoding.UTF8.GetBytes(json), "v.json"),
            Throws.TypeOf<VocabularyException>().With.Message.Contains(expected).And.Message.Contains("v.json"));
    }

    [Test]
    public void Encode_and_decode_round_trip()
    {
        var ids = Vocabulary.SampleCharRnn.Encode("ROMEO:\n");
        Assert.That(ids[0], Is.EqualTo(Vocabulary.SampleCharRnn.Characters.ToList().IndexOf('R')));
        Assert.That(Vocabulary.SampleCharRnn.Decode(ids), Is.EqualTo("ROMEO:\n"));
    }

    // A character outside the BMP is two UTF-16 units; the error names its code point once, not two surrogate halves.
    [Test]
    public void An_unknown_character_outside_the_BMP_is_listed_as_one_code_point()
    {
        var e = Assert.Throws<VocabularyException>(() => Vocabulary.SampleCharRnn.Encode("RO\U0001F600MEO"));
        Assert.That(e!.Message, Does.Contain("1 character(s)").And.Contain("U+1F600 '\U0001F600' at 2"));
        Assert.That(e.Message, Does.Not.Contain("U+D83D"));
    }

    [Test]
    public void A_directory_as_vocab_json_is_named_as_a_directory()
    {
        string dir = Directory.CreateTempSubdirectory("charrnn-vocab-").FullName;
        try
        {
            Assert.That(() => Vocabulary.FromJsonFile(dir), Throws.TypeOf<VocabularyException>().With.Message.Contains("is a directory"));
        }
        finally
        {
            Directory.Delete(dir);
        }
    }
}
