using System.Collections.Frozen;
using System.Text;
using System.Text.Json;

namespace CharRnn.Inference.Model;

/// <summary>
/// Maps characters (UTF-16 code units) to the model's class ids and back. Immutable and thread-safe.
/// </summary>
public sealed class Vocabulary
{
    // sampleCharRNN's hard-coded map, ids in order (FACTS.md section 2).
    private const string SampleCharRnnCharacters = "\n! $'&-,.3;:?ACBEDGFIHKJMLONQPSRUTWVYXZacbedgfihkjmlonqpsrutwvyxz";

    private readonly char[] _characters;
    private readonly FrozenDictionary<char, int> _ids;

    /// <summary>Creates a vocabulary where character <c>characters[i]</c> has id <c>i</c>; characters must be distinct.</summary>
    public Vocabulary(IEnumerable<char> characters)
    {
        ArgumentNullException.ThrowIfNull(characters);
        _characters = [.. characters];
        var ids = new Dictionary<char, int>(_characters.Length);
        for (int i = 0; i < _characters.Length; i++)
        {
            if (!ids.TryAdd(_characters[i], i))
            {
                throw new VocabularyException($"Character {Describe(_characters[i])} appears twice in the vocabulary (ids {ids[_characters[i]]} and {i}).");
            }
        }
        if (_characters.Length == 0)
        {
            throw new VocabularyException("The vocabulary is empty.");
        }
        _ids = ids.ToFrozenDictionary();
    }

    /// <summary>sampleCharRNN's built-in 65-character map (tiny Shakespeare's characters in tensorflow-char-rnn's order).</summary>
    public static Vocabulary SampleCharRnn { get; } = new(SampleCharRnnCharacters);

    /// <summary>Number of characters.</summary>
    public int Count => _characters.Length;

    /// <summary>The characters by id.</summary>
    public IReadOnlyList<char> Characters => _characters;

    /// <summary>The character with this id.</summary>
    public char this[int id] => _characters[id];

    /// <summary>Finds a character's id.</summary>
    public bool TryGetId(char c, out int id) => _ids.TryGetValue(c, out id);

    /// <summary>Whether the vocabulary holds the character.</summary>
    public bool Contains(char c) => _ids.ContainsKey(c);

    /// <summary>
    /// Turns text into ids. Unknown characters throw <see cref="VocabularyException"/> listing each with its position,
    /// unless the policy says to skip or replace them.
    /// </summary>
    public int[] Encode(string text, UnknownCharacterPolicy policy = UnknownCharacterPolicy.Throw, char replacement = ' ')
    {
        ArgumentNullException.ThrowIfNull(text);
        int replacementId = -1;
        if (policy == UnknownCharacterPolicy.Replace && !TryGetId(replacement, out replacementId))
        {
            throw new VocabularyException($"The replacement character {Describe(replacement)} is not in the vocabulary either.");
        }
        var ids = new List<int>(text.Length);
        List<UnknownCharacter>? unknown = null;
        for (int i = 0; i < text.Length; i++)
        {
            if (TryGetId(text[i], out int id))
            {
                ids.Add(id);
            }
            else if (policy == UnknownCharacterPolicy.Replace)
            {
                ids.Add(replacementId);
            }
            else if (policy == UnknownCharacterPolicy.Throw)
            {
                (unknown ??= []).Add(new UnknownCharacter(text[i], i));
            }
        }
        if (unknown is not null)
        {
            const int Shown = 10;
            var described = DescribeUnknown(text, unknown);
            string list = string.Join(", ", described.Take(Shown));
            string more = described.Count > Shown ? $" and {described.Count - Shown} more" : "";
            throw new VocabularyException(
                $"{described.Count} character(s) not in the model's vocabulary: {list}{more}. Remove them, or choose to skip or replace unknown characters.",
                unknown);
        }
        return [.. ids];
    }

    // "X at N" for each unknown character; a surrogate pair (a character outside the BMP, two UTF-16 units, neither in
    // the vocabulary) is one entry naming its code point, not two halves.
    private static List<string> DescribeUnknown(string text, List<UnknownCharacter> unknown)
    {
        var described = new List<string>(unknown.Count);
        for (int k = 0; k < unknown.Count; k++)
        {
            var u = unknown[k];
            if (k + 1 < unknown.Count && unknown[k + 1].Position == u.Position + 1
                && char.IsSurrogatePair(u.Character, unknown[k + 1].Character))
            {
                int codePoint = char.ConvertToUtf32(u.Character, unknown[k + 1].Character);
                described.Add($"U+{codePoint:X4} '{text.Substring(u.Position, 2)}' at {u.Position}");
                k++;
            }
            else
            {
                described.Add($"{Describe(u.Character)} at {u.Position}");
            }
        }
        return described;
    }

    /// <summary>Turns ids into text.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder(ids.Length);
        foreach (int id in ids)
        {
            sb.Append(_characters[id]);
        }
        return sb.ToString();
    }

    /// <summary>
    /// Reads a tensorflow-char-rnn <c>vocab.json</c>: an object mapping each character to its id; ids must be
    /// exactly 0..n-1.
    /// </summary>
    public static Vocabulary FromJsonFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new VocabularyException($"'{path}' is a directory; pass the model's vocab.json file.");
        }
        if (!File.Exists(path))
        {
            throw new VocabularyException($"No vocabulary file at '{path}'.");
        }
        return FromJson(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses the JSON of a tensorflow-char-rnn <c>vocab.json</c>; <paramref name="source"/> names it in errors.</summary>
    public static Vocabulary FromJson(ReadOnlySpan<byte> utf8Json, string source = "vocab.json")
    {
        var byId = new SortedDictionary<int, char>();
        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 4 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new VocabularyException($"'{source}' is not a JSON object mapping characters to ids.");
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                string key = reader.GetString()!;
                if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int id))
                {
                    throw new VocabularyException($"'{source}': the id of key {JsonSerializer.Serialize(key, VocabularyJsonContext.Default.String)} is not an integer.");
                }
                if (key.Length != 1)
                {
                    throw new VocabularyException($"'{source}': key {JsonSerializer.Serialize(key, VocabularyJsonContext.Default.String)} is not a single character.");
                }
                if (id < 0)
                {
                    throw new VocabularyException($"'{source}': key {JsonSerializer.Serialize(key, VocabularyJsonContext.Default.String)} has id {id}; ids must be 0..n-1.");
                }
                if (!byId.TryAdd(id, key[0]))
                {
                    throw new VocabularyException($"'{source}': id {id} is given to both {Describe(byId[id])} and {Describe(key[0])}.");
                }
            }
        }
        catch (JsonException e)
        {
            throw new VocabularyException($"'{source}' is not valid JSON: {e.Message}", e);
        }
        int expected = 0;
        foreach (int id in byId.Keys)
        {
            if (id != expected)
            {
                throw new VocabularyException($"'{source}': ids must be 0..{byId.Count - 1} without gaps; id {expected} is missing.");
            }
            expected++;
        }
        return new Vocabulary(byId.Values);
    }

    /// <summary>Writes a character so that control characters are visible: <c>'\n'</c>, <c>U+00E9 'é'</c>.</summary>
    internal static string Describe(char c) => c switch
    {
        '\n' => @"'\n'",
        '\r' => @"'\r'",
        '\t' => @"'\t'",
        _ when char.IsControl(c) || char.IsSurrogate(c) => $"U+{(int)c:X4}",
        _ when c > 127 => $"U+{(int)c:X4} '{c}'",
        _ => $"'{c}'",
    };
}

/// <summary>What to do with characters the vocabulary lacks.</summary>
public enum UnknownCharacterPolicy
{
    /// <summary>Throw <see cref="VocabularyException"/> listing them with their positions.</summary>
    Throw = 0,
    /// <summary>Drop them.</summary>
    Skip,
    /// <summary>Replace each with a given character.</summary>
    Replace,
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class VocabularyJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
