using System.Globalization;
using System.Text;

namespace CharRnn.Inference;

/// <summary>
/// Text taken from a file (tensor names, keys) as it goes into a message: control characters escaped, so that a crafted
/// file cannot move the cursor or recolour the terminal that shows the error, and a long name cut.
/// </summary>
internal static class MessageText
{
    private const int MaxLength = 128;

    /// <summary><paramref name="text"/> with control characters as <c>\xNN</c> / <c>\uNNNN</c>, cut at 128 characters.</summary>
    public static string Printable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(Math.Min(text.Length, MaxLength) + 3);
        foreach (char c in text.AsSpan(0, Math.Min(text.Length, MaxLength)))
        {
            if (!char.IsControl(c))
            {
                sb.Append(c);
            }
            else
            {
                sb.Append(c <= 0xff ? string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}") : string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"));
            }
        }
        if (text.Length > MaxLength)
        {
            sb.Append("...");
        }
        return sb.ToString();
    }
}
