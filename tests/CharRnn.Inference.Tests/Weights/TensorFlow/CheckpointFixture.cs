namespace CharRnn.Inference.Tests.Weights.TensorFlow;

/// <summary>The tensorflow-char-rnn Shakespeare checkpoint (2 layers x 128, one-hot input, 65 characters) and its .wts2 export.</summary>
internal static class CheckpointFixture
{
    public const string Name = "model-85340";

    public static string Directory => TestData.SharedData("tf-char-rnn-shakespeare-128");

    public static string Prefix => Path.Combine(Directory, Name);

    public static string Wts2Path => Path.Combine(Directory, Name + ".wts2");

    public static string VocabPath => Path.Combine(Directory, "vocab.json");

    public static string DataFileName => Name + ".data-00000-of-00001";

    /// <summary>Copies the checkpoint into a fresh temporary folder and returns the copy's prefix.</summary>
    public static string CopyTo(string folder)
    {
        System.IO.Directory.CreateDirectory(folder);
        File.Copy(Prefix + ".index", Path.Combine(folder, Name + ".index"));
        File.Copy(Path.Combine(Directory, DataFileName), Path.Combine(folder, DataFileName));
        return Path.Combine(folder, Name);
    }
}
