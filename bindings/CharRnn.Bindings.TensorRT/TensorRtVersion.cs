namespace CharRnn.Bindings.TensorRT;

/// <summary>A TensorRT version as <c>getInferLibVersion()</c> encodes it (FACTS.md section 4).</summary>
/// <param name="Major">Major version.</param>
/// <param name="Minor">Minor version.</param>
/// <param name="Patch">Patch version.</param>
public readonly record struct TensorRtVersion(int Major, int Minor, int Patch) : IComparable<TensorRtVersion>
{
    /// <summary>
    /// Decodes <c>getInferLibVersion()</c>: from TensorRT 10 on it is <c>major * 10000 + minor * 100 + patch</c>
    /// (10.16.0 is 101600); before, <c>major * 1000 + minor * 100 + patch</c> (8.6.1 is 8601).
    /// </summary>
    public static TensorRtVersion FromEncoded(int encoded)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(encoded);
        return encoded >= 100000
            ? new TensorRtVersion(encoded / 10000, encoded / 100 % 100, encoded % 100)
            : new TensorRtVersion(encoded / 1000, encoded / 100 % 10, encoded % 100);
    }

    /// <inheritdoc />
    public int CompareTo(TensorRtVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major)
        : Minor != other.Minor ? Minor.CompareTo(other.Minor)
        : Patch.CompareTo(other.Patch);

    /// <summary>Whether this version is older than <paramref name="right"/>.</summary>
    public static bool operator <(TensorRtVersion left, TensorRtVersion right) => left.CompareTo(right) < 0;

    /// <summary>Whether this version is newer than <paramref name="right"/>.</summary>
    public static bool operator >(TensorRtVersion left, TensorRtVersion right) => left.CompareTo(right) > 0;

    /// <summary>Whether this version is older than or equal to <paramref name="right"/>.</summary>
    public static bool operator <=(TensorRtVersion left, TensorRtVersion right) => left.CompareTo(right) <= 0;

    /// <summary>Whether this version is newer than or equal to <paramref name="right"/>.</summary>
    public static bool operator >=(TensorRtVersion left, TensorRtVersion right) => left.CompareTo(right) >= 0;

    /// <inheritdoc />
    public override string ToString() => $"{Major}.{Minor}.{Patch}";
}
