using System.Security.Cryptography;
using System.Text;

namespace ResShift.Daemon.Inputs.RabbitMq.Messages;

/// <summary>
/// The name of a queue video's spool folder in its output root's <c>.resshift-video/</c>: it depends on nothing but the
/// output's path relative to that root, so every daemon sharing the storage finds the same spool for the same output.
/// </summary>
public static class QueueSpoolName
{
    private const int HashChars = 32, MaxShownChars = 96; // 32 + 1 + 96 + the suffix stays far below 255 bytes
    private const string Suffix = ".resshift-segments";   // a watch root's prune never enters or removes such a folder

    /// <summary><c>HASH-NAME.resshift-segments</c>: HASH the first 32 hex of sha256(relative output), NAME its file name, sanitised (ASCII letters, digits, '.', '-', '_').</summary>
    public static string For(string relativeOutput)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(relativeOutput)))[..HashChars];
        var shown = new StringBuilder(MaxShownChars);
        foreach (char c in Path.GetFileName(relativeOutput))
        {
            if (shown.Length == MaxShownChars) break;
            shown.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        }
        return $"{hash}-{shown}{Suffix}";
    }
}
