namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// A daemon's id on a shared watch root: host, pid, start time and 8 random hex digits, never reused, so a restarted
/// daemon is a new owner whose old claims are a dead peer's. Ids read from markers are only used once they look like
/// one (letters, digits, '-', '_', at most <see cref="MaxLength"/>): a marker naming "../x" or a megabyte names no daemon.
/// </summary>
internal static class OwnerId
{
    public const int MaxLength = 128;

    /// <summary>What a marker that cannot be read or names no possible daemon stands for: never live, so its claim is free.</summary>
    public const string Unreadable = "?";

    public static string Make()
    {
        string host = new(Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').Take(64).ToArray());
        return $"{host}-{Environment.ProcessId}-{DateTime.UtcNow:yyyyMMddTHHmmss}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
    }

    public static bool IsValid(string id) =>
        id.Length is > 0 and <= MaxLength && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
