namespace CharRnn.Inference.Tests.EndToEnd;

/// <summary>tensorflow-char-rnn's split of a corpus: first 90% train, next 5% validation, the rest test (FACTS.md section 2).</summary>
internal static class TinyShakespeare
{
    public static string TestSplit(string text)
    {
        int train = (int)(text.Length * 0.9), valid = (int)(text.Length * 0.05);
        return text[(train + valid)..];
    }

    public static string ValidationSplit(string text)
    {
        int train = (int)(text.Length * 0.9), valid = (int)(text.Length * 0.05);
        return text.Substring(train, valid);
    }
}
