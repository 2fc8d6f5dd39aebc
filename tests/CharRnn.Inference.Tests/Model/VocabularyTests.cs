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
}
