using System.Text.Json;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// A daemon's lease, <c>.owners/ID.lease</c>: JSON naming its owner, pid, host and expiry. What a lease may claim: only
/// its own name (the owner inside must be the file's), and only for a while. An expiry further ahead than
/// <see cref="Horizon"/> (the lease plus as much again, at least a minute, for clocks of hosts sharing the root) is not
/// believed, so a file saying "until 2099" protects nothing.
/// </summary>
internal static class LeaseFile
{
    public enum Verdict
    {
        Live,
        Expired,
        /// <summary>Not a lease at all, or not one to believe: reported with its reason and detail, and never live.</summary>
        Ignored,
    }

    public static byte[] Write(string owner, DateTime expires) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["owner"] = owner, ["pid"] = Environment.ProcessId, ["host"] = Environment.MachineName, ["expires"] = expires,
    });

    /// <summary>How far ahead an expiry may be and still be believed, for a lease of <paramref name="lease"/>.</summary>
    public static TimeSpan Horizon(TimeSpan lease) => lease + (lease > TimeSpan.FromMinutes(1) ? lease : TimeSpan.FromMinutes(1));

    /// <summary>Whether <paramref name="text"/>, read from <paramref name="owner"/>'s lease file, makes that owner live at <paramref name="now"/>.</summary>
    public static (Verdict Verdict, string? Reason, string? Detail) Judge(string text, string owner, DateTime now, TimeSpan lease)
    {
        DateTime expires;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("expires", out JsonElement e) || !e.TryGetDateTime(out expires)
                || !doc.RootElement.TryGetProperty("owner", out JsonElement o) || o.ValueKind != JsonValueKind.String)
                return (Verdict.Ignored, "malformed", "not a lease (JSON with \"owner\" and \"expires\"); its owner counts as gone");
            if (o.GetString() != owner)
                return (Verdict.Ignored, "malformed", $"names the owner \"{Shorten(o.GetString())}\", not {owner}; its owner counts as gone");
        }
        catch (JsonException)
        {
            return (Verdict.Ignored, "malformed", "not JSON; its owner counts as gone");
        }
        expires = expires.ToUniversalTime();
        if (expires <= now) return (Verdict.Expired, null, null);
        TimeSpan horizon = Horizon(lease);
        if (expires - now > horizon)
            return (Verdict.Ignored, "too_far_ahead",
                $"expires {expires:yyyy-MM-ddTHH:mm:ssZ}, more than {horizon.TotalSeconds:0} s ahead (LeaseSeconds {lease.TotalSeconds:0.###}); not believed, its owner counts as gone");
        return (Verdict.Live, null, null);
    }

    private static string Shorten(string? s) => s is null ? "" : s.Length <= 64 ? s : s[..64] + "…";
}
