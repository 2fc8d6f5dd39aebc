using System.Collections;

namespace CharRnn.Inference.Weights;

/// <summary>
/// The named tensors read from a weight file, in file order, plus the names of the records that were skipped
/// (optimizer slots, scalars and anything else inference does not need). Immutable.
/// </summary>
public sealed class WeightSet : IReadOnlyCollection<WeightTensor>
{
    private readonly List<WeightTensor> _tensors;
    private readonly Dictionary<string, WeightTensor> _byName;

    /// <summary>Creates a set; names must be unique.</summary>
    public WeightSet(IEnumerable<WeightTensor> tensors, IEnumerable<string>? skippedRecords = null, WeightFileFormat format = WeightFileFormat.Unknown, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        _tensors = [.. tensors];
        _byName = new Dictionary<string, WeightTensor>(_tensors.Count, StringComparer.Ordinal);
        foreach (var t in _tensors)
        {
            if (!_byName.TryAdd(t.Name, t))
            {
                throw new WeightFormatException($"Duplicate tensor name '{MessageText.Printable(t.Name)}'.", source, null, t.Name, null);
            }
        }
        SkippedRecords = skippedRecords is null ? [] : [.. skippedRecords];
        Format = format;
        Source = source;
    }

    /// <summary>Number of tensors loaded.</summary>
    public int Count => _tensors.Count;

    /// <summary>Names of records present in the file but not loaded.</summary>
    public IReadOnlyList<string> SkippedRecords { get; }

    /// <summary>The format the tensors were read from.</summary>
    public WeightFileFormat Format { get; }

    /// <summary>The file the tensors were read from, when known.</summary>
    public string? Source { get; }

    /// <summary>The tensor with this name; throws <see cref="ModelFormatException"/> when absent.</summary>
    public WeightTensor this[string name] => TryGet(name, out var t)
        ? t
        : throw new ModelFormatException($"Tensor '{MessageText.Printable(name)}' is not in {Source ?? "the weight set"}.");

    /// <summary>Whether a tensor with this name was loaded.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Finds a tensor by name.</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WeightTensor? tensor)
        => _byName.TryGetValue(name, out tensor);

    /// <inheritdoc />
    public IEnumerator<WeightTensor> GetEnumerator() => _tensors.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
