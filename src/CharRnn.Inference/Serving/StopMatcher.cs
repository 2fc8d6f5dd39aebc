namespace CharRnn.Inference.Serving;

/// <summary>
/// Finds stop strings in generated text one character at a time, keeping only the last characters the longest stop
/// string needs (memory does not grow with the text).
/// </summary>
internal sealed class StopMatcher
{
    private readonly IReadOnlyList<string> _stops;
    private readonly char[] _tail;
    private int _length;

    public StopMatcher(IReadOnlyList<string> stops)
    {
        _stops = stops;
        _tail = new char[Math.Max(1, stops.Count == 0 ? 1 : stops.Max(s => s.Length))];
    }

    /// <summary>Adds a character; returns the first stop string (in the list's order) that the text now ends with, or null.</summary>
    public string? Add(char c)
    {
        if (_length == _tail.Length)
        {
            Array.Copy(_tail, 1, _tail, 0, _length - 1);
            _length--;
        }
        _tail[_length++] = c;
        foreach (string stop in _stops)
        {
            if (stop.Length > 0 && stop.Length <= _length && _tail.AsSpan(_length - stop.Length, stop.Length).SequenceEqual(stop))
            {
                return stop;
            }
        }
        return null;
    }
}
