using System.Globalization;
using System.Text;

namespace CharRnn.Cli;

/// <summary>
/// Text from files (tensor names, paths, messages quoting them) as the tool shows it: control characters escaped as
/// <c>\xNN</c> / <c>\uNNNN</c>, so that a crafted file cannot send escape sequences to the terminal.
/// </summary>
internal static class TerminalText
{
    public static string Printable(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }
        var sb = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (!char.IsControl(c))
            {
                sb.Append(c);
            }
            else if (c <= 0xff)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
        }
        return sb.ToString();
    }
}
